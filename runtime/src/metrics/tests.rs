use super::check::{self, sum};
use super::*;

fn text(r: &Registry) -> String {
    let snap = r.snapshot();
    render(&[Source {
        labels: vec![],
        snapshot: &snap,
    }])
}

#[test]
fn counters_and_gauges_render_with_help_type_and_labels() {
    let r = Registry::default();
    let c = r.counter("eider_x_total", "Things done.");
    c.add(3);
    let v = r.counter_vec("eider_cmd_total", "Commands.", &["command", "result"]);
    v.with(&["FETCH", "OK"]).inc();
    v.with(&["FETCH", "OK"]).inc();
    v.with(&["LOGIN", "NO"]).inc();
    let g = r.gauge("eider_open", "Open connections.");
    let guard = g.track();
    g.track(); // dropped at once
    let out = text(&r);
    let expected = "\
# HELP eider_x_total Things done.
# TYPE eider_x_total counter
eider_x_total 3
# HELP eider_cmd_total Commands.
# TYPE eider_cmd_total counter
eider_cmd_total{command=\"FETCH\",result=\"OK\"} 2
eider_cmd_total{command=\"LOGIN\",result=\"NO\"} 1
# HELP eider_open Open connections.
# TYPE eider_open gauge
eider_open 1
";
    assert_eq!(out, expected);
    drop(guard);
    assert_eq!(g.get(), 0);
    check::parse(&out).unwrap();
}

#[test]
fn histogram_buckets_are_cumulative_and_inclusive() {
    let r = Registry::default();
    let h = r.histogram("eider_lat_seconds", "Latency.");
    // (observation, index of the first bucket that counts it; 13 = only +Inf)
    let cases = [
        (Duration::from_micros(500), 0),
        (Duration::from_millis(1), 0), // le is inclusive
        (Duration::from_micros(1001), 1),
        (Duration::from_millis(300), 8),
        (Duration::from_secs(10), 12),
        (Duration::from_secs(11), 13),
    ];
    for (d, _) in cases {
        h.observe(d);
    }
    let snap = r.snapshot();
    let Value::Histogram {
        buckets,
        count,
        sum: total,
    } = &snap.families[0].series[0].value
    else {
        panic!("not a histogram");
    };
    for (i, b) in buckets.iter().enumerate() {
        let want = cases.iter().filter(|(_, first)| *first <= i).count() as u64;
        assert_eq!(*b, want, "bucket {i} (le {})", LATENCY_BUCKETS[i]);
    }
    assert_eq!(*count, 6);
    assert!((total - 21.302501).abs() < 1e-9, "{total}");
    let out = text(&r);
    let samples = check::parse(&out).unwrap();
    assert_eq!(
        sum(&samples, "eider_lat_seconds_bucket", &[("le", "0.001")]),
        2.0
    );
    assert_eq!(
        sum(&samples, "eider_lat_seconds_bucket", &[("le", "+Inf")]),
        6.0
    );
    assert_eq!(sum(&samples, "eider_lat_seconds_count", &[]), 6.0);
    assert!(
        out.contains("eider_lat_seconds_bucket{le=\"10\"} 5\n"),
        "{out}"
    );
}

#[test]
fn label_values_and_help_are_escaped() {
    let r = Registry::default();
    let v = r.counter_vec("eider_e_total", "Back\\slash\nnewline.", &["v"]);
    let cases = [
        ("quote\"d", r#"quote\"d"#),
        ("back\\slash", r"back\\slash"),
        ("new\nline", r"new\nline"),
        ("ünï", "ünï"),
    ];
    for (raw, _) in cases {
        v.with(&[raw]).inc();
    }
    let out = text(&r);
    assert!(
        out.contains("# HELP eider_e_total Back\\\\slash\\nnewline.\n"),
        "{out}"
    );
    for (_, escaped) in cases {
        assert!(
            out.contains(&format!("{{v=\"{escaped}\"}} 1\n")),
            "{escaped}: {out}"
        );
    }
    // and the checker reads them back to the raw values
    let samples = check::parse(&out).unwrap();
    for (raw, _) in cases {
        assert_eq!(sum(&samples, "eider_e_total", &[("v", raw)]), 1.0, "{raw}");
    }
}

#[test]
fn registering_again_shares_and_conflicts_are_not_exposed() {
    let r = Registry::default();
    r.counter("eider_a_total", "A.").inc();
    r.counter("eider_a_total", "A.").inc();
    // Same name, other kind: recorded into a detached family, never shown.
    r.gauge("eider_a_total", "A.").set(99);
    r.counter("bad name", "B.").inc();
    let out = text(&r);
    assert!(out.contains("eider_a_total 2\n"), "{out}");
    assert!(!out.contains("99") && !out.contains("bad name"), "{out}");
}

#[test]
fn sources_merge_per_family_with_their_labels() {
    let (a, b) = (Registry::default(), Registry::default());
    a.counter("eider_c_total", "C.").add(1);
    a.histogram("eider_h_seconds", "H.")
        .observe(Duration::from_millis(2));
    b.counter("eider_c_total", "C.").add(2);
    b.gauge("eider_only_b", "B.").set(-4);
    b.histogram("eider_h_seconds", "H.")
        .observe(Duration::from_millis(20));
    // A family whose shape differs in another source is skipped there, not mixed.
    b.counter_vec("eider_shape_total", "S.", &["x"])
        .with(&["1"])
        .inc();
    a.counter("eider_shape_total", "S.").inc();
    let (sa, sb) = (a.snapshot(), b.snapshot());
    let out = render(&[
        Source {
            labels: vec![("daemon", "eider-imapd"), ("instance", "h:1")],
            snapshot: &sa,
        },
        Source {
            labels: vec![("daemon", "eider-ingest"), ("instance", "h:2")],
            snapshot: &sb,
        },
    ]);
    let samples = check::parse(&out).unwrap();
    assert_eq!(
        out.matches("# TYPE eider_c_total counter").count(),
        1,
        "{out}"
    );
    assert_eq!(
        sum(&samples, "eider_c_total", &[("daemon", "eider-imapd")]),
        1.0
    );
    assert_eq!(sum(&samples, "eider_c_total", &[("instance", "h:2")]), 2.0);
    assert_eq!(
        sum(&samples, "eider_only_b", &[("daemon", "eider-ingest")]),
        -4.0
    );
    assert_eq!(sum(&samples, "eider_h_seconds_count", &[]), 2.0);
    assert_eq!(sum(&samples, "eider_shape_total", &[]), 1.0);
    assert!(out.contains("eider_c_total{daemon=\"eider-imapd\",instance=\"h:1\"} 1\n"));
}

#[test]
fn snapshots_survive_json() {
    let r = Registry::default();
    r.counter_vec("eider_j_total", "J.", &["k"])
        .with(&["v"])
        .add(7);
    r.histogram("eider_j_seconds", "J.")
        .observe(Duration::from_millis(5));
    let snap = r.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snap);
}

#[test]
fn checker_rejects_what_prometheus_would() {
    let cases = [
        ("m{a=\"1\"} x\n", "bad value"),
        ("m{a=1} 1\n", "not quoted"),
        ("m{a=\"1\",a=\"2\"} 1\n", "duplicate label"),
        ("1m 1\n", "bad metric name"),
        ("# TYPE m counter\nm -1\n", "negative counter"),
        (
            "# TYPE m counter\nm 1\nn 1\nm{a=\"b\"} 2\n",
            "not contiguous",
        ),
        ("m 1\nm 2\n", "duplicate series"),
        ("# TYPE m gauge\n# TYPE m gauge\n", "second TYPE"),
        ("m{a=\"\\x\"} 1\n", "bad escape"),
        (
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n",
            "cumulative",
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\nh_sum 0\n",
            "+Inf",
        ),
        ("# TYPE h histogram\nh_count{le=\"1\"} 1\n", "le label"),
    ];
    for (input, why) in cases {
        let e = check::parse(input).expect_err(input);
        assert!(e.contains(why), "{input:?}: {e}");
    }
    let ok = "# HELP m M.\n# TYPE m counter\nm{a=\"x\\\"y\",b=\"\"} 1 1700000000000\n";
    assert_eq!(check::parse(ok).unwrap()[0].labels["a"], "x\"y");
}

#[tokio::test]
async fn in_process_metrics_render_with_daemon_and_instance() {
    let m = Metrics::in_process();
    m.registry().counter("eider_t_total", "T.").inc();
    m.publish("eider-test", &crate::Shutdown::new());
    let out = m.render().await;
    let samples = check::parse(&out).unwrap();
    let instance = m.instance().to_owned();
    assert_eq!(
        sum(
            &samples,
            "eider_t_total",
            &[("daemon", "eider-test"), ("instance", &instance)]
        ),
        1.0,
        "{out}"
    );
}

#[tokio::test]
async fn unreachable_redis_still_renders_this_process() {
    // Port 1 on loopback: connection refused at once.
    let m = Metrics::redis("redis://127.0.0.1:1", Duration::from_secs(1), "h:1".into()).unwrap();
    m.registry().counter("eider_local_total", "L.").inc();
    let samples = check::parse(&m.render().await).unwrap();
    assert_eq!(
        sum(&samples, "eider_local_total", &[("instance", "h:1")]),
        1.0
    );
    assert_eq!(
        sum(&samples, "eider_metrics_collect_errors_total", &[]),
        0.0
    );
    let samples = check::parse(&m.render().await).unwrap();
    assert_eq!(
        sum(&samples, "eider_metrics_collect_errors_total", &[]),
        1.0
    );
}

#[test]
fn bad_redis_urls_are_refused() {
    assert!(Metrics::redis("rediss://h", Duration::from_secs(1), "h:1".into()).is_err());
}
