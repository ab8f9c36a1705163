//! The engine through the library, as a Rust user holds it.

use mlqd::broker::{Broker, BrokerConfig};
use mlqd::{Client, ClientConfig, QueueName};

use super::Deployment;

pub fn client(r: &(impl Deployment + ?Sized), ns: &str) -> Client {
    let mut config = ClientConfig::new(r.url(), ns);
    config.broker = r.broker_config(ns);
    Client::new(config).expect("client")
}

pub fn broker(r: &(impl Deployment + ?Sized), ns: &str) -> Broker {
    Broker::new(r.broker_config(ns)).expect("broker")
}

pub fn q(name: &str) -> QueueName {
    QueueName::new(name).expect("test queue name")
}
