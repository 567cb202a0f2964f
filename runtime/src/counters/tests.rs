use super::{Counters, utc_day};
use std::time::Duration;

#[tokio::test]
async fn in_process_leases_limit_and_release() {
    let c = Counters::in_process();
    let table = [(1u32, 1usize), (3, 3), (0, 10)];
    for (limit, expect) in table {
        let key = format!("user{limit}");
        let mut held = Vec::new();
        while held.len() < 10 {
            match c.acquire(&key, limit).await {
                Some(l) => held.push(l),
                None => break,
            }
        }
        assert_eq!(held.len(), expect, "limit {limit}");
        assert!(held.iter().all(|l| !l.is_shared()));
        held.pop();
        assert!(c.acquire(&key, limit).await.is_some(), "released on drop");
        drop(held);
        assert_eq!(c.local.leases(&key), 0);
    }
}

#[tokio::test]
async fn in_process_auth_window_and_downloads() {
    let c = Counters::in_process();
    let w = Duration::from_millis(100);
    assert_eq!(c.auth_failures("k").await, 0);
    assert_eq!(c.auth_failed("k", w).await, 1);
    assert_eq!(c.auth_failed("k", w).await, 2);
    assert_eq!(c.auth_failures("k").await, 2);
    tokio::time::sleep(w + Duration::from_millis(20)).await;
    assert_eq!(c.auth_failures("k").await, 0);
    assert_eq!(c.auth_failed("k", w).await, 1);

    assert_eq!(c.add_download("u", 5).await, 5);
    assert_eq!(c.add_download("u", 7).await, 12);
    assert_eq!(c.downloaded_today("u").await, 12);
    assert_eq!(c.downloaded_today("v").await, 0);
}

#[test]
fn utc_day_ends_at_midnight() {
    use chrono::TimeZone;
    let table = [
        ((2026, 11, 29, 0, 0, 0), 1_795_996_800),
        ((2026, 11, 29, 23, 59, 59), 1_795_996_800),
        ((2026, 11, 30, 0, 0, 0), 1_796_083_200),
    ];
    for ((y, mo, d, h, mi, s), end) in table {
        let t = chrono::Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
        let (day, ends) = utc_day(t);
        assert_eq!(ends, end, "{t}");
        assert_eq!(day, end / 86_400 - 1);
    }
}
