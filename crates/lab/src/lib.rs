//! `havip lab`: the seed topology (a VPC subnet with two servers and a client) in network
//! namespaces, havipd or keepalived on the servers, failures injected, outages measured from
//! the client's probes, and the daemons' CPU and memory compared.

pub mod api_relay;
pub mod attack;
pub mod bench;
pub mod bench_features;
pub mod browser;
pub mod capacity;
pub mod cdf_svg;
pub mod chaos;
pub mod cluster;
pub mod daemon;
pub mod drill;
pub mod echo;
pub mod faults;
pub mod mover;
pub mod netns;
pub mod ovn;
pub mod ovn_burst;
pub mod ovn_garp_forms;
pub mod placement;
pub mod probe;
pub mod scenario_file;
pub mod scratch;
pub mod seeds;
pub mod shell;
pub mod sim;
pub mod spread;
pub mod svg;
pub mod tcp;
pub mod timeline;
pub mod topology;
pub mod up;
pub mod vpc;
