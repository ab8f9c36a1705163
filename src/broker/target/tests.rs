use super::*;

fn parse(url: &str) -> Result<RedisTarget> {
    RedisTarget::parse(url, &TlsFiles::default())
}

fn node(host: &str, port: u16) -> Node {
    Node {
        host: host.into(),
        port,
    }
}

fn invalid(r: Result<RedisTarget>) -> String {
    match r {
        Err(Error::Invalid(m)) => m,
        Err(e) => panic!("expected Invalid, got {e:?}"),
        Ok(t) => panic!("expected an error, got {t}"),
    }
}

#[test]
fn single_server_forms() {
    let t = parse("redis://127.0.0.1:6380/3").unwrap();
    assert_eq!(t.topology, Topology::Single);
    assert_eq!(t.nodes, vec![node("127.0.0.1", 6380)]);
    assert_eq!(t.db, 3);
    assert!(!t.is_tls());
    let t = parse("redis://cache.internal").unwrap();
    assert_eq!(t.nodes, vec![node("cache.internal", 6379)]);
    assert_eq!(t.db, 0);
    assert_eq!(parse("redis://h:1/").unwrap().db, 0);
    let t = parse("redis://[::1]:7000/1").unwrap();
    assert_eq!(t.nodes, vec![node("::1", 7000)]);
    assert_eq!(t.to_string(), "redis://[::1]:7000/1");
}

#[test]
fn credentials_are_decoded_and_never_shown() {
    let t = parse("redis://alice:s%40cr%2Ft@h:6379/2").unwrap();
    assert_eq!(t.username.as_deref(), Some("alice"));
    assert_eq!(t.password.as_deref(), Some("s@cr/t"));
    assert_eq!(t.to_string(), "redis://alice:***@h:6379/2");
    assert!(!format!("{t:?}").contains("s@cr"));
    let t = parse("redis://:pw@h").unwrap();
    assert_eq!(t.username, None);
    assert_eq!(t.password.as_deref(), Some("pw"));
    assert_eq!(t.to_string(), "redis://:***@h:6379");
    // a raw '@' in a password: the last '@' ends the credentials
    let t = parse("redis://u:p@ss@h:1").unwrap();
    assert_eq!(t.password.as_deref(), Some("p@ss"));
    assert_eq!(t.nodes, vec![node("h", 1)]);
    let t = parse("redis://bob@h").unwrap();
    assert_eq!((t.username.as_deref(), t.password), (Some("bob"), None));
}

#[test]
fn tls_forms_need_no_files() {
    let t = parse("rediss://secure.example:6390").unwrap();
    assert!(t.is_tls());
    assert_eq!(t.to_string(), "rediss://secure.example:6390");
    let t = parse("rediss+sentinel://a:1,b:2/m").unwrap();
    assert!(t.is_tls());
    assert_eq!(t.to_string(), "rediss+sentinel://a:1,b:2/m");
    let t = parse("rediss+cluster://a:1").unwrap();
    assert!(t.is_tls() && t.topology == Topology::Cluster);
    assert_eq!(t.to_string(), "rediss+cluster://a:1");
}

#[test]
fn sentinel_forms() {
    let t = parse("redis+sentinel://u:pw@s1:26379,s2,[::1]:26380/mymaster/4").unwrap();
    assert_eq!(
        t.topology,
        Topology::Sentinel {
            master: "mymaster".into()
        }
    );
    assert_eq!(
        t.nodes,
        vec![node("s1", 26379), node("s2", 26379), node("::1", 26380)]
    );
    assert_eq!(t.db, 4);
    assert_eq!(
        t.to_string(),
        "redis+sentinel://u:***@s1:26379,s2:26379,[::1]:26380/mymaster/4"
    );
    assert_eq!(t.master_name(), Some("mymaster"));
    assert!(t.sentinel_client(&t.nodes[0]).is_ok());
    let t = parse("redis+sentinel://s1:5000/m").unwrap();
    assert_eq!(t.db, 0);
    let m = invalid(parse("redis+sentinel://s1:26379"));
    assert!(m.contains("master name"), "{m}");
    let m = invalid(parse("redis+sentinel://s1:26379/"));
    assert!(m.contains("master name"), "{m}");
    let m = invalid(parse("redis+sentinel://s1/m/x"));
    assert!(m.contains("database number"), "{m}");
    let m = invalid(parse("redis+sentinel://s1/m/1/2"));
    assert!(m.contains("/MASTER/DB"), "{m}");
}

#[test]
fn cluster_forms() {
    let t = parse("redis+cluster://u:pw@n1:7000,n2:7001,n3").unwrap();
    assert_eq!(t.topology, Topology::Cluster);
    assert_eq!(
        t.nodes,
        vec![node("n1", 7000), node("n2", 7001), node("n3", 6379)]
    );
    assert_eq!(
        t.to_string(),
        "redis+cluster://u:***@n1:7000,n2:7001,n3:6379"
    );
    assert!(
        t.cluster_client(Duration::from_secs(1), Duration::from_secs(1))
            .is_ok()
    );
    assert_eq!(parse("redis+cluster://n1:7000/0").unwrap().db, 0);
    let m = invalid(parse("redis+cluster://n1:7000/2"));
    assert!(m.contains("only database 0"), "{m}");
    let m = invalid(parse("redis+cluster://n1:7000/x"));
    assert!(m.contains("database number"), "{m}");
}

#[test]
fn bad_urls_say_what_is_wrong() {
    let m = invalid(parse("http://h:1"));
    assert!(m.contains("unknown scheme \"http\""), "{m}");
    let m = invalid(parse("127.0.0.1:6379"));
    assert!(m.contains("scheme"), "{m}");
    let m = invalid(parse("redis://a:1,b:2"));
    assert!(m.contains("redis+cluster://"), "{m}");
    let m = invalid(parse("redis://h:99999"));
    assert!(m.contains("not a port"), "{m}");
    let m = invalid(parse("redis://h:0"));
    assert!(m.contains("not a port"), "{m}");
    let m = invalid(parse("redis://"));
    assert!(m.contains("host is missing"), "{m}");
    let m = invalid(parse("redis+cluster://a:1,,b:2"));
    assert!(m.contains("host is missing"), "{m}");
    let m = invalid(parse("redis://h/abc"));
    assert!(m.contains("database number"), "{m}");
    let m = invalid(parse("redis://h/-1"));
    assert!(m.contains("database number"), "{m}");
    let m = invalid(parse("redis://h/1/2"));
    assert!(m.contains("database number"), "{m}");
    let m = invalid(parse("rediss://h/#insecure"));
    assert!(m.contains("always verifies"), "{m}");
    let m = invalid(parse("redis://h/0?protocol=resp3"));
    assert!(m.contains("query"), "{m}");
    let m = invalid(parse("redis://[::1:6379"));
    assert!(m.contains("']'"), "{m}");
    let m = invalid(parse("redis://u:%zz@h"));
    assert!(m.contains("hex"), "{m}");
    // the password never leaks into an error
    let m = invalid(parse("redis://u:topsecret@a:1,b:2"));
    assert!(!m.contains("topsecret"), "{m}");
    assert!(m.contains("u:***@"), "{m}");
}

#[test]
fn tls_files_need_a_tls_url() {
    let files = TlsFiles {
        ca: Some("ca.pem".into()),
        ..TlsFiles::default()
    };
    for url in [
        "redis://h:1",
        "redis+cluster://h:1",
        "redis+sentinel://h:1/m",
    ] {
        let m = invalid(RedisTarget::parse(url, &files));
        assert!(m.contains("need a TLS URL"), "{m}");
    }
}

#[test]
fn redact_hides_the_password() {
    assert_eq!(
        redact("redis://user:secret@host:6379/0"),
        "redis://user:***@host:6379/0"
    );
    assert_eq!(redact("redis://127.0.0.1"), "redis://127.0.0.1");
    assert_eq!(redact("nonsense@x"), "nonsense@x");
}
