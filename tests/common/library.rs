//! The engine through the library, as a Rust user holds it.

use mlqd::broker::{Broker, BrokerConfig};
use mlqd::{Client, ClientConfig, QueueName};

use super::RedisServer;

pub fn client(r: &RedisServer, ns: &str) -> Client {
    Client::new(ClientConfig::new(r.url(), ns)).expect("client")
}

pub fn broker(r: &RedisServer, ns: &str) -> Broker {
    Broker::new(BrokerConfig::new(r.url(), ns)).expect("broker")
}

pub fn q(name: &str) -> QueueName {
    QueueName::new(name).expect("test queue name")
}
