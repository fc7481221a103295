//! The resources, with the cloud's field names (PascalCase JSON).

use crate::words::words;
use serde::{Deserialize, Serialize};

/// A VPC.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    /// `vpc-xxxxxxxx`.
    pub vpc_id: String,
    /// Name.
    pub vpc_name: String,
    /// IPv4 CIDR.
    pub cidr_block: String,
    /// Whether multicast is delivered (VRRP multicast needs it; off, as in the cloud).
    pub enable_multicast: bool,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub created_time: String,
}

/// A subnet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    /// `subnet-xxxxxxxx`.
    pub subnet_id: String,
    /// Name.
    pub subnet_name: String,
    /// Its VPC.
    pub vpc_id: String,
    /// IPv4 CIDR inside the VPC's.
    pub cidr_block: String,
    /// Zone.
    pub zone: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub created_time: String,
}

/// A private address of an ENI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrivateIpAddress {
    /// The address.
    pub private_ip_address: String,
    /// The ENI's primary address.
    pub primary: bool,
}

/// Which instance an ENI is attached to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attachment {
    /// `ins-xxxxxxxx`.
    pub instance_id: String,
}

/// An elastic network interface (a server's port on the VPC).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInterface {
    /// `eni-xxxxxxxx`.
    pub network_interface_id: String,
    /// Name.
    pub network_interface_name: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its subnet.
    pub subnet_id: String,
    /// MAC address.
    pub mac_address: String,
    /// Its addresses.
    pub private_ip_address_set: Vec<PrivateIpAddress>,
    /// The instance it is attached to.
    pub attachment: Option<Attachment>,
    /// `AVAILABLE`.
    pub state: EniState,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub created_time: String,
}

impl NetworkInterface {
    /// The attached instance's id, or "".
    pub fn instance_id(&self) -> &str {
        self.attachment
            .as_ref()
            .map_or("", |a| a.instance_id.as_str())
    }
}

/// An elastic public IP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
    /// `eip-xxxxxxxx`.
    pub address_id: String,
    /// The public address.
    pub address_ip: String,
    /// `UNBIND` or `BIND`.
    pub address_status: AddressStatus,
    /// What it is bound to (a HaVipId here), or "".
    pub instance_id: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub created_time: String,
    /// Its name ("" if none was given).
    #[serde(default)]
    pub address_name: String,
}

/// An instance or ENI allowed to take a HAVIP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HaVipAssociation {
    /// `ins-...` or `eni-...`.
    pub instance_id: String,
    /// The HAVIP.
    #[serde(default)]
    pub ha_vip_id: String,
    /// `CVM` or `ENI`.
    #[serde(default)]
    pub instance_type: InstanceType,
}

/// A tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// A high-availability virtual IP.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HaVip {
    /// `havip-xxxxxxxx`.
    pub ha_vip_id: String,
    /// Name (at most 60 characters).
    pub ha_vip_name: String,
    /// The address.
    pub vip: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its subnet.
    pub subnet_id: String,
    /// The ENI holding it, or "".
    pub network_interface_id: String,
    /// The instance holding it, or "".
    pub instance_id: String,
    /// Its EIP, or "".
    pub address_ip: String,
    /// `AVAILABLE` (bound) or `UNBIND`.
    pub state: HavipState,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub created_time: String,
    /// Business tag ("").
    pub business: String,
    /// Who may take it (when `CheckAssociate`).
    pub ha_vip_association_set: Vec<HaVipAssociation>,
    /// Whether only associated instances may take it.
    pub check_associate: bool,
    /// When a GARP (or an unbind) last moved it.
    pub flushed_time: String,
    /// Tags.
    pub tag_set: Vec<Tag>,
}

/// The time the cloud shows before a HAVIP was ever moved.
pub const NEVER: &str = "0000-00-00 00:00:00";

/// An asynchronous task (DeleteHaVip, EIP bind/unbind).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    /// The RequestId of the call that started it.
    pub task_id: String,
    /// `SUCCESS`, `FAILED` or `RUNNING`.
    pub status: TaskStatus,
    /// Output.
    pub output: String,
}

/// One move of a HAVIP's binding, for its history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BindingEvent {
    /// The HAVIP.
    pub ha_vip_id: String,
    /// When.
    pub time: String,
    /// New ENI ("" when unbound).
    pub network_interface_id: String,
    /// New instance.
    pub instance_id: String,
    /// Why (`garp from eni-... (request form)`, `created`, ...).
    pub reason: String,
    /// When, in Unix seconds to the microsecond (`Time` is the cloud's, to the second); 0 in
    /// events recorded before it existed.
    #[serde(default)]
    pub unix_time: f64,
}

impl HaVip {
    /// Whether `eni` may hold this HAVIP by its association rule: any ENI of the subnet
    /// without CheckAssociate, else an associated ENI or an ENI of an associated instance.
    pub fn admits(&self, eni: &NetworkInterface) -> bool {
        !self.check_associate
            || self.ha_vip_association_set.iter().any(|a| {
                (a.instance_type == InstanceType::Eni && a.instance_id == eni.network_interface_id)
                    || (a.instance_type == InstanceType::Cvm && a.instance_id == eni.instance_id())
            })
    }
}

words! {
    /// Whether a HAVIP is bound (`AVAILABLE`) or not (`UNBIND`).
    #[derive(Default)]
    HavipState {
        /// Bound to an ENI (or was, by a GARP or an unbind).
        Available = "AVAILABLE",
        /// Never bound.
        #[default]
        Unbind = "UNBIND",
    }
}

words! {
    /// Whether an EIP is bound.
    AddressStatus {
        /// Free.
        Unbind = "UNBIND",
        /// Bound to a HAVIP.
        Bind = "BIND",
    }
}

words! {
    /// An ENI's state (the cloud's ENIs here are always available).
    #[derive(Default)]
    EniState {
        /// Usable.
        #[default]
        Available = "AVAILABLE",
    }
}

words! {
    /// An asynchronous task's status.
    #[derive(Default)]
    TaskStatus {
        /// Done.
        #[default]
        Success = "SUCCESS",
        /// Failed.
        Failed = "FAILED",
        /// Still running.
        Running = "RUNNING",
    }
}

words! {
    /// The form of a gratuitous ARP: an ARP request or an ARP reply.
    #[derive(Default)]
    GarpForm {
        /// An ARP request for the sender's own address.
        #[default]
        Request = "request",
        /// An unsolicited ARP reply.
        Reply = "reply",
    }
}

/// What a HAVIP association names: an instance (`CVM`) or an ENI (`ENI`). Any other word a
/// caller sends is kept as given ([`InstanceType::Other`]) so the action can refuse it by name;
/// a stored association is always one of the two.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceType {
    /// An instance: its ENIs may take the HAVIP.
    #[serde(rename = "CVM")]
    Cvm,
    /// An ENI.
    #[serde(rename = "ENI")]
    Eni,
    /// A word that is neither (refused by the actions).
    #[serde(untagged)]
    Other(String),
}

impl Default for InstanceType {
    /// None given.
    fn default() -> Self {
        InstanceType::Other(String::new())
    }
}

impl InstanceType {
    /// The word as given.
    pub fn as_str(&self) -> &str {
        match self {
            InstanceType::Cvm => "CVM",
            InstanceType::Eni => "ENI",
            InstanceType::Other(w) => w,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{from_str, to_string};

    #[test]
    fn closed_words_keep_the_clouds_spelling() {
        assert_eq!(
            to_string(&HavipState::Available).expect("json"),
            "\"AVAILABLE\""
        );
        assert_eq!(to_string(&HavipState::Unbind).expect("json"), "\"UNBIND\"");
        assert_eq!(to_string(&AddressStatus::Bind).expect("json"), "\"BIND\"");
        assert_eq!(
            to_string(&EniState::Available).expect("json"),
            "\"AVAILABLE\""
        );
        assert_eq!(
            to_string(&TaskStatus::Success).expect("json"),
            "\"SUCCESS\""
        );
        assert_eq!(to_string(&GarpForm::Reply).expect("json"), "\"reply\"");
        assert_eq!(
            from_str::<AddressStatus>("\"UNBIND\"").expect("json"),
            AddressStatus::Unbind
        );
        assert!(
            from_str::<HavipState>("\"available\"").is_err(),
            "the cloud's case only"
        );
    }

    #[test]
    fn an_instance_type_outside_the_set_is_kept_to_be_refused_by_name() {
        assert_eq!(
            from_str::<InstanceType>("\"CVM\"").expect("json"),
            InstanceType::Cvm
        );
        assert_eq!(
            from_str::<InstanceType>("\"ENI\"").expect("json"),
            InstanceType::Eni
        );
        let other = from_str::<InstanceType>("\"VM\"").expect("json");
        assert_eq!(other, InstanceType::Other("VM".into()));
        assert_eq!(to_string(&other).expect("json"), "\"VM\"");
        assert_eq!(InstanceType::Eni.as_str(), "ENI");
    }
}
