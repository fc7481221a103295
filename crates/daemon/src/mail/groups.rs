//! Sync groups' states for their alerts, as keepalived 2.2.7 moves them (`vrrp_sync.c`): a
//! group enters FAULT when a member does, BACKUP when a member does, MASTER when every member
//! is master, and stops when every member has stopped. Its first member's first state (BACKUP
//! or FAULT at start) is the group's first (keepalived mails it from `vrrp_init_state`).

use conf::model::Config;
use std::collections::BTreeMap;

/// One group: its members and the state it is in.
#[derive(Debug)]
struct Group {
    name: String,
    members: Vec<String>,
    state: Option<String>,
}

/// The sync groups and their members' states.
#[derive(Debug, Default)]
pub struct SyncGroups {
    groups: Vec<Group>,
    members: BTreeMap<String, String>,
}

impl SyncGroups {
    /// The groups of `config`, for which `wanted` says yes (those that mail).
    pub fn new(config: &Config, wanted: impl Fn(&str) -> bool) -> Self {
        let groups = config
            .sync_groups
            .iter()
            .filter(|g| wanted(&g.name))
            .map(|g| Group {
                name: g.name.clone(),
                members: g.members.iter().map(|m| m.name.clone()).collect(),
                state: None,
            })
            .collect();
        SyncGroups {
            groups,
            members: BTreeMap::new(),
        }
    }

    /// Whether any group is followed.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Instance `name` entered `state`: the groups that enter a new state with it.
    pub fn changed(&mut self, name: &str, state: &str) -> Vec<(String, String)> {
        self.members.insert(name.to_string(), state.to_string());
        let mut out = Vec::new();
        for g in self
            .groups
            .iter_mut()
            .filter(|g| g.members.iter().any(|m| m == name))
        {
            let all = |s: &str| {
                g.members
                    .iter()
                    .all(|m| self.members.get(m).is_some_and(|v| v == s))
            };
            let next = match state {
                "FAULT" | "BACKUP" => state,
                "MASTER" if all("MASTER") => state,
                "STOP" if all("STOP") => state,
                _ => continue,
            };
            if g.state.as_deref() != Some(next) {
                g.state = Some(next.to_string());
                out.push((g.name.clone(), next.to_string()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_follows_keepalived_s_sync_rules() {
        let cfg = conf::check_text(
            "vrrp_sync_group G {\n group {\n A\n B\n }\n}\n\
             vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n\
             vrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\n",
            &Default::default(),
        )
        .config;
        let mut g = SyncGroups::new(&cfg, |_| true);
        let pair = |s: &str| vec![("G".to_string(), s.to_string())];
        assert_eq!(g.changed("A", "BACKUP"), pair("BACKUP"));
        assert_eq!(g.changed("B", "BACKUP"), vec![]);
        assert_eq!(g.changed("A", "MASTER"), vec![], "B is not master yet");
        assert_eq!(g.changed("B", "MASTER"), pair("MASTER"));
        assert_eq!(g.changed("B", "FAULT"), pair("FAULT"));
        assert_eq!(g.changed("A", "BACKUP"), pair("BACKUP"));
        assert_eq!(g.changed("A", "STOP"), vec![]);
        assert_eq!(g.changed("B", "STOP"), pair("STOP"));
        assert!(SyncGroups::new(&cfg, |_| false).is_empty());
    }
}
