use super::*;

#[test]
fn reads_do_not_wait_writes_do() {
    assert!(!writes(redis::cmd("HGETALL").arg("k")));
    assert!(!writes(redis::cmd("zrange").arg("k").arg(0).arg(-1)));
    assert!(!writes(&redis::cmd("PING")));
    assert!(writes(redis::cmd("EVALSHA").arg("abc").arg(0)));
    assert!(writes(redis::cmd("SADD").arg("k").arg("m")));
    assert!(writes(redis::cmd("BLPOP").arg("k").arg(1)));
    assert!(writes(&redis::Cmd::new()));
}

#[test]
fn a_view_reads_the_sentinel_fields() {
    let fields: HashMap<String, String> = [
        ("ip", "10.0.0.2"),
        ("port", "6380"),
        ("flags", "master,failover_in_progress,force_failover"),
        ("config-epoch", "7"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(
        view(&fields),
        Some(View {
            node: Node {
                host: "10.0.0.2".into(),
                port: 6380
            },
            epoch: 7,
            failover: true,
            down: false,
        })
    );
    let mut down = fields.clone();
    down.insert("flags".into(), "master,s_down".into());
    assert!(view(&down).is_some_and(|v| v.down && !v.failover));
    let mut broken = fields;
    broken.insert("port".into(), "x".into());
    assert_eq!(view(&broken), None);
}

#[test]
fn failover_signs() {
    use redis::ServerErrorKind as S;
    assert!(smells_of_failover(&RedisError::from(std::io::Error::from(
        std::io::ErrorKind::ConnectionReset
    ))));
    assert!(smells_of_failover(&RedisError::from((
        ErrorKind::Server(S::ReadOnly),
        "READONLY"
    ))));
    assert!(!smells_of_failover(&RedisError::from((
        ErrorKind::Server(S::ResponseError),
        "WRONGTYPE"
    ))));
}
