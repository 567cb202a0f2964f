mod common;
#[tokio::test(flavor = "multi_thread")]
async fn smoke() {
    let w = common::World::start().await;
    w.deliver("INBOX", &common::sample_message(1)).await;
    let out = w.python(&std::fs::read_to_string("/tmp/smoke.py").unwrap()).await;
    println!("{out}");
}
