//! Table tests of the state machine, one per rule of RFC 5798 §6 / keepalived 2.2.7.

mod common;
use common::*;
use vrrp::*;

#[test]
fn startup_as_backup_waits_master_down_interval() {
    let mut r = Router::new(cfg(5, 100)).expect("valid");
    let out = r.handle(at(0.0), Event::Startup);
    assert_eq!(
        out,
        vec![
            Action::Transition {
                from: State::Init,
                to: State::Backup,
                reason: Reason::Startup
            },
            Action::Notify(Notify::Backup),
        ]
    );
    // 3 x 1 s + (256 - 100) / 256 s
    assert_eq!(r.next_deadline(), Some(Timestamp(3_609_375)));
}

#[test]
fn owner_becomes_master_at_once_advert_first() {
    let c = cfg(5, 255);
    let mut r = Router::new(c.clone()).expect("valid");
    let out = r.handle(at(0.0), Event::Startup);
    assert_eq!(
        out,
        vec![
            Action::SendAdvert(advert_of(&c, 255)),
            Action::Transition {
                from: State::Init,
                to: State::Master,
                reason: Reason::Owner
            },
            Action::AddVips,
            Action::Announce { repeat: 5 },
            Action::Notify(Notify::Master),
        ]
    );
    assert_eq!(r.next_deadline(), Some(at(1.0)));
}

#[test]
fn state_master_without_ownership_waits_one_interval_plus_min_skew() {
    let mut c = cfg(5, 150);
    c.start_as_master = true;
    let r = started(c, at(0.0));
    assert_eq!(r.state(), State::Backup);
    assert_eq!(r.next_deadline(), Some(Timestamp(1_000_000 + 3_906)));
}

#[test]
fn backup_takes_over_when_master_down_timer_fires() {
    let mut r = started(cfg(6, 100), at(0.0));
    assert!(
        r.handle(at(3.0), Event::Timer).is_empty(),
        "too early: nothing happens"
    );
    let out = r.handle(Timestamp(3_609_375), Event::Timer);
    assert!(matches!(out[0], Action::SendAdvert(ref a) if a.priority == 100));
    assert_eq!(
        out[1],
        Action::Transition {
            from: State::Backup,
            to: State::Master,
            reason: Reason::MasterDown {
                waited: Micros(3_609_375)
            }
        }
    );
    assert_eq!(r.stats().become_master, 1);
}

#[test]
fn valid_advert_restarts_master_down_timer() {
    let c = cfg(6, 100);
    let mut r = started(c.clone(), at(0.0));
    assert!(r.handle(at(2.5), rx(&c, "10.0.0.5", 150)).is_empty());
    assert_eq!(r.next_deadline(), Some(at(2.5) + Micros(3_609_375)));
    assert_eq!(r.last_master(), Some(ip("10.0.0.5")));
    assert_eq!(r.stats().advert_rcvd, 1);
}

#[test]
fn backup_with_preempt_ignores_lower_priority_master() {
    let c = cfg(6, 150);
    let mut r = started(c.clone(), at(0.0));
    let out = r.handle(at(1.0), rx(&c, "10.0.0.5", 100));
    assert_eq!(
        out,
        vec![Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::LowerPriority(100)
        }]
    );
    // 3 s + (256-150)/256 s from start-up, unchanged by the ignored advert.
    assert_eq!(r.next_deadline(), Some(Timestamp(3_414_062)));
}

#[test]
fn nopreempt_backup_accepts_lower_priority_master() {
    let mut c = cfg(6, 150);
    c.preempt = false;
    let mut r = started(c.clone(), at(0.0));
    assert!(r.handle(at(1.0), rx(&c, "10.0.0.5", 100)).is_empty());
    assert_eq!(r.next_deadline(), Some(at(1.0) + Micros(3_414_062)));
}

#[test]
fn priority_zero_advert_cuts_the_wait_to_skew_time() {
    let c = cfg(6, 100);
    let mut r = started(c.clone(), at(0.0));
    r.handle(at(1.0), rx(&c, "10.0.0.5", 150));
    assert!(r.handle(at(1.5), rx(&c, "10.0.0.5", 0)).is_empty());
    assert_eq!(r.next_deadline(), Some(at(1.5) + Micros(609_375)));
    assert_eq!(r.stats().pri_zero_rcvd, 1);
    let out = r.handle(at(1.5) + Micros(609_375), Event::Timer);
    assert!(out.contains(&Action::Transition {
        from: State::Backup,
        to: State::Master,
        reason: Reason::MasterResigned
    }));
}

#[test]
fn v3_backup_adopts_the_masters_interval() {
    let c = v3(cfg(6, 100), 100);
    let mut r = started(c.clone(), at(0.0));
    let mut fast = advert_of(&c, 150);
    fast.interval = AdvertInterval::from_centis(50).expect("0.5 s");
    r.handle(
        at(1.0),
        Event::Advert {
            src: ip("10.0.0.5"),
            ttl: 255,
            multicast: true,
            advert: fast,
        },
    );
    assert_eq!(r.master_interval(), Micros(500_000));
    // 3 x 0.5 s + 156 x 0.5 s / 256
    assert_eq!(
        r.next_deadline(),
        Some(at(1.0) + Micros(1_500_000 + 304_687))
    );
}

#[test]
fn v2_interval_mismatch_is_dropped_and_counted() {
    let c = cfg(6, 100);
    let mut r = started(c.clone(), at(0.0));
    let mut slow = advert_of(&c, 150);
    slow.interval = AdvertInterval::from_secs(2).expect("2 s");
    let out = r.handle(
        at(1.0),
        Event::Advert {
            src: ip("10.0.0.5"),
            ttl: 255,
            multicast: true,
            advert: slow,
        },
    );
    assert_eq!(
        out,
        vec![Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::Interval(200)
        }]
    );
    assert_eq!(r.stats().interval_err, 1);
    assert_eq!(r.next_deadline(), Some(Timestamp(3_609_375)));
}

#[test]
fn master_answers_lower_priority_at_once_and_reannounces() {
    let c = cfg(5, 150);
    let (mut r, t) = master(c.clone());
    let out = r.handle(t + Micros(10), rx(&c, "10.0.0.6", 100));
    assert_eq!(
        out,
        vec![
            Action::SendAdvert(advert_of(&c, 150)),
            Action::Announce { repeat: 5 },
            Action::Notify(Notify::MasterRxLowerPri),
        ]
    );
    assert_eq!(r.state(), State::Master);
    // second GARP burst garp_lower_prio_delay (5 s) later
    let out = r.handle(t + Micros(10) + Micros::from_secs(5), Event::Timer);
    assert!(out.contains(&Action::Announce { repeat: 5 }));
}

#[test]
fn lower_prio_no_advert_suppresses_the_reply() {
    let mut c = cfg(5, 150);
    c.lower_prio_no_advert = true;
    c.garp.lower_prio_repeat = 0;
    let (mut r, t) = master(c.clone());
    assert_eq!(
        r.handle(t, rx(&c, "10.0.0.6", 100)),
        vec![Action::Notify(Notify::MasterRxLowerPri)]
    );
}

#[test]
fn master_yields_to_higher_priority() {
    let c = cfg(5, 100);
    let (mut r, t) = master(c.clone());
    let out = r.handle(t + Micros(1), rx(&c, "10.0.0.6", 200));
    assert_eq!(
        out,
        vec![
            Action::Transition {
                from: State::Master,
                to: State::Backup,
                reason: Reason::HigherPriority {
                    from: ip("10.0.0.6"),
                    priority: 200
                }
            },
            Action::RemoveVips,
            Action::Notify(Notify::Backup),
        ]
    );
    assert_eq!(r.next_deadline(), Some(t + Micros(1) + Micros(3_609_375)));
    assert_eq!(r.stats().release_master, 1);
}

#[test]
fn equal_priority_is_won_by_the_higher_primary_address() {
    let c = cfg(5, 100);
    let (mut r, t) = master(c.clone());
    // from .4 (lower): we stay master and answer
    assert!(sent(&r.handle(t, rx(&c, "10.0.0.4", 100)), 100));
    assert_eq!(r.state(), State::Master);
    // from .6 (higher): we yield
    let out = r.handle(t, rx(&c, "10.0.0.6", 100));
    assert!(out.contains(&Action::Transition {
        from: State::Master,
        to: State::Backup,
        reason: Reason::EqualPriorityHigherAddress {
            from: ip("10.0.0.6")
        }
    }));
}

#[test]
fn higher_prio_send_advert_answers_before_yielding() {
    let mut c = cfg(5, 100);
    c.higher_prio_send_advert = true;
    let (mut r, t) = master(c.clone());
    let out = r.handle(t, rx(&c, "10.0.0.6", 200));
    assert!(matches!(out[0], Action::SendAdvert(ref a) if a.priority == 100));
    assert_eq!(r.state(), State::Backup);
}

#[test]
fn master_answers_priority_zero_and_stays() {
    let c = cfg(5, 100);
    let (mut r, t) = master(c.clone());
    assert_eq!(
        r.handle(t, rx(&c, "10.0.0.6", 0)),
        vec![Action::SendAdvert(advert_of(&c, 100))]
    );
    assert_eq!(r.state(), State::Master);
}

#[test]
fn two_owners_report_a_conflict_and_one_steps_down() {
    let c = cfg(5, 255);
    let mut r = started(c.clone(), at(0.0));
    let out = r.handle(at(0.1), rx(&c, "10.0.0.6", 255));
    assert_eq!(
        out[0],
        Action::OwnerConflict {
            from: ip("10.0.0.6")
        }
    );
    assert_eq!(r.effective_priority(), 254);
    assert_eq!(r.state(), State::Backup);
}

#[test]
fn multicast_ttl_must_be_255() {
    let c = cfg(6, 100);
    let mut r = started(c.clone(), at(0.0));
    let ev = Event::Advert {
        src: ip("10.0.0.5"),
        ttl: 254,
        multicast: true,
        advert: advert_of(&c, 150),
    };
    assert_eq!(
        r.handle(at(1.0), ev),
        vec![Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::Ttl(254)
        }]
    );
    assert_eq!(r.stats().ip_ttl_err, 1);
    assert_eq!(r.stats().advert_rcvd, 0);
}

#[test]
fn unicast_ttl_window_and_unknown_peers() {
    let mut c = cfg(6, 100);
    c.unicast_peers = vec![UnicastPeer {
        addr: ip("10.0.0.5"),
        min_ttl: 250,
        max_ttl: 255,
    }];
    let mut r = started(c.clone(), at(0.0));
    let uni = |src: &str, ttl| Event::Advert {
        src: ip(src),
        ttl,
        multicast: false,
        advert: advert_of(&c, 150),
    };
    assert_eq!(
        r.handle(at(1.0), uni("10.0.0.5", 64))[0],
        Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::Ttl(64)
        }
    );
    assert!(
        r.handle(at(1.1), uni("10.0.0.5", 252)).is_empty(),
        "inside the window"
    );
    // without check_unicast_src keepalived accepts other sources; with it, they are dropped
    assert!(r.handle(at(1.2), uni("10.0.0.9", 64)).is_empty());
    let mut strict = c.clone();
    strict.check_unicast_src = true;
    let mut r = started(strict, at(0.0));
    assert_eq!(
        r.handle(at(1.0), uni("10.0.0.9", 64))[0],
        Action::Dropped {
            from: ip("10.0.0.9"),
            reason: DropReason::UnknownPeer
        }
    );
    assert_eq!(r.stats().unknown_peer, 1);
    // a multicast advert when we are unicast is refused too
    let mc = Event::Advert {
        src: ip("10.0.0.5"),
        ttl: 255,
        multicast: true,
        advert: advert_of(&c, 150),
    };
    assert_eq!(
        r.handle(at(1.1), mc)[0],
        Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::Delivery
        }
    );
}

#[test]
fn pass_authentication() {
    let mut c = cfg(6, 100);
    c.auth = Auth::pass("1111");
    let mut r = started(c.clone(), at(0.0));
    let with = |auth| {
        let mut a = advert_of(&c, 150);
        a.auth = auth;
        Event::Advert {
            src: ip("10.0.0.5"),
            ttl: 255,
            multicast: true,
            advert: a,
        }
    };
    assert_eq!(
        r.handle(at(1.0), with(Auth::pass("2222")))[0],
        Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::AuthFailure
        }
    );
    assert_eq!(
        r.handle(at(1.0), with(Auth::None))[0],
        Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::AuthType
        }
    );
    // keepalived compares 8 bytes: "11112222x" and "11112222y" are the same password
    assert!(r.handle(at(1.0), with(Auth::pass("1111"))).is_empty());
    assert_eq!(
        (r.stats().auth_failure, r.stats().authtype_mismatch),
        (1, 1)
    );
    assert_eq!(Auth::pass("11112222x"), Auth::pass("11112222y"));
}

#[test]
fn address_list_is_checked_unless_skipped_for_the_same_master() {
    let c = cfg(6, 100);
    let other_list = |c: &RouterConfig, src: &str| {
        let mut a = advert_of(c, 150);
        a.addresses = vec![ip("10.0.0.101")];
        Event::Advert {
            src: ip(src),
            ttl: 255,
            multicast: true,
            advert: a,
        }
    };
    let mut r = started(c.clone(), at(0.0));
    assert_eq!(
        r.handle(at(1.0), other_list(&c, "10.0.0.5"))[0],
        Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::AddressList
        }
    );
    assert_eq!(r.stats().addr_list_err, 1);

    let mut skip = c.clone();
    skip.skip_check_adv_addr = true;
    let mut r = started(skip.clone(), at(0.0));
    // a new master is checked even with skip_check_adv_addr ...
    assert!(!r.handle(at(1.0), other_list(&skip, "10.0.0.5")).is_empty());
    assert!(r.handle(at(1.1), rx(&skip, "10.0.0.5", 150)).is_empty());
    // ... but once known, its adverts are not
    assert!(r.handle(at(1.2), other_list(&skip, "10.0.0.5")).is_empty());
}

#[test]
fn other_version_is_dropped() {
    let c = cfg(6, 100);
    let mut r = started(c.clone(), at(0.0));
    let mut a = advert_of(&c, 150);
    a.version = Version::V3;
    let out = r.handle(
        at(1.0),
        Event::Advert {
            src: ip("10.0.0.5"),
            ttl: 255,
            multicast: true,
            advert: a,
        },
    );
    assert_eq!(
        out,
        vec![Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::Version
        }]
    );
    assert_eq!(r.stats().version_err, 1);
}

#[test]
fn preempt_delay_holds_back_the_takeover() {
    let mut c = cfg(6, 150);
    c.preempt_delay = Micros::from_secs(10);
    let mut r = started(c.clone(), at(0.0));
    // Adverts from a lower-priority master every second: accepted while the delay runs.
    for s in 1..=10 {
        assert!(
            r.handle(at(f64::from(s)), rx(&c, "10.0.0.5", 100))
                .is_empty(),
            "t={s}"
        );
    }
    // The delay started at the first one (t=1 s) and ended at t=11 s.
    assert_eq!(
        r.handle(at(11.0), rx(&c, "10.0.0.5", 100)),
        vec![Action::Dropped {
            from: ip("10.0.0.5"),
            reason: DropReason::LowerPriority(100)
        }]
    );
    // Master_Down_Timer was last restarted at t=10 s.
    assert_eq!(r.next_deadline(), Some(at(10.0) + Micros(3_414_062)));
}

#[test]
fn graceful_shutdown_resigns_with_priority_zero() {
    let c = cfg(5, 100);
    let (mut r, t) = master(c.clone());
    let out = r.handle(t, Event::Shutdown);
    assert_eq!(
        out,
        vec![
            Action::SendAdvert(advert_of(&c, 0)),
            Action::Transition {
                from: State::Master,
                to: State::Stopped,
                reason: Reason::Shutdown
            },
            Action::RemoveVips,
            Action::Notify(Notify::Stop),
        ]
    );
    assert_eq!(r.next_deadline(), None);
    assert!(r.handle(t, Event::Shutdown).is_empty(), "idempotent");
    assert_eq!(r.stats().pri_zero_sent, 1);
}

#[test]
fn interface_down_faults_and_up_returns_to_backup() {
    let c = cfg(5, 100);
    let (mut r, t) = master(c.clone());
    let out = r.handle(t, Event::InterfaceDown);
    assert_eq!(
        out,
        vec![
            Action::SendAdvert(advert_of(&c, 0)),
            Action::Transition {
                from: State::Master,
                to: State::Fault,
                reason: Reason::InterfaceDown
            },
            Action::RemoveVips,
            Action::Notify(Notify::Fault),
        ]
    );
    assert_eq!(r.next_deadline(), None);
    assert_eq!(
        r.handle(t, rx(&c, "10.0.0.6", 50))[0],
        Action::Dropped {
            from: ip("10.0.0.6"),
            reason: DropReason::NotListening
        }
    );
    // a track fault on top keeps it in FAULT when the link returns
    r.handle(t, Event::TrackFault(true));
    assert!(r.handle(t + Micros(5), Event::InterfaceUp).is_empty());
    let out = r.handle(t + Micros(9), Event::TrackFault(false));
    assert_eq!(
        out,
        vec![
            Action::Transition {
                from: State::Fault,
                to: State::Backup,
                reason: Reason::TrackRecovered
            },
            Action::Notify(Notify::Backup),
        ]
    );
    assert_eq!(r.next_deadline(), Some(t + Micros(9) + Micros(3_609_375)));
}

#[test]
fn start_with_interface_down_enters_fault() {
    let mut r = Router::new(cfg(5, 100)).expect("valid");
    r.handle(at(0.0), Event::InterfaceDown);
    let out = r.handle(at(0.0), Event::Startup);
    assert_eq!(
        out[0],
        Action::Transition {
            from: State::Init,
            to: State::Fault,
            reason: Reason::InterfaceDown
        }
    );
}

#[test]
fn priority_change_moves_effective_priority_but_never_an_owners() {
    let mut r = started(cfg(6, 100), at(0.0));
    r.handle(at(0.1), Event::PriorityChange(0));
    assert_eq!(r.effective_priority(), 1);
    r.handle(at(0.1), Event::PriorityChange(255));
    assert_eq!(r.effective_priority(), 254);
    let mut owner = started(cfg(5, 255), at(0.0));
    owner.handle(at(0.1), Event::PriorityChange(90));
    assert_eq!(owner.effective_priority(), 255);
}

#[test]
fn garp_schedule_of_the_seed_config() {
    // advert_int 5, garp_master_delay 1, garp_master_refresh 5 (refresh_repeat 1), repeat 5.
    let mut c = cfg(5, 100);
    c.advert_interval = AdvertInterval::from_secs(5).expect("5 s");
    c.garp.master_delay = Micros::from_secs(1);
    c.garp.master_refresh = Micros::from_secs(5);
    let (mut r, t) = master(c);
    assert_eq!(r.next_deadline(), Some(t + Micros::from_secs(1)));
    assert_eq!(
        r.handle(t + Micros::from_secs(1), Event::Timer),
        vec![Action::Announce { repeat: 5 }]
    );
    let out = r.handle(t + Micros::from_secs(5), Event::Timer);
    assert!(sent(&out, 100));
    assert!(
        out.contains(&Action::Announce { repeat: 1 }),
        "refresh with the advert: {out:?}"
    );
    let out = r.handle(t + Micros::from_secs(10), Event::Timer);
    assert!(out.contains(&Action::Announce { repeat: 1 }));
}

#[test]
fn invalid_configs_are_refused() {
    let mut c = cfg(5, 100);
    c.vrid = 0;
    assert_eq!(Router::new(c).err(), Some(ConfigError::ZeroVrid));
    let mut c = cfg(5, 100);
    c.advert_interval = AdvertInterval::from_centis(50).expect("0.5 s");
    assert!(matches!(
        Router::new(c).err(),
        Some(ConfigError::Interval { .. })
    ));
    let mut c = cfg(5, 100);
    c.virtual_addresses.push(ip("fd00::1"));
    assert!(matches!(
        Router::new(c).err(),
        Some(ConfigError::MixedFamily(..))
    ));
    let mut c = v3(cfg(5, 100), 100);
    c.auth = Auth::pass("x");
    assert_eq!(Router::new(c).err(), Some(ConfigError::AuthOnV3));
    let mut c = RouterConfig::new(1, ip("fe80::1"), vec![ip("fd00::1")]);
    assert_eq!(Router::new(c.clone()).err(), Some(ConfigError::V2OverIpv6));
    c.version = Version::V3;
    assert!(Router::new(c).is_ok());
}

#[test]
fn sync_group_master_pulls_a_backup_up_and_backup_pulls_a_master_down() {
    let mut r = started(cfg(5, 100), at(0.0));
    let out = r.handle(at(1.0), Event::SyncGroup(State::Master));
    assert!(matches!(out[0], Action::SendAdvert(ref a) if a.priority == 100));
    assert_eq!(
        out[1],
        Action::Transition {
            from: State::Backup,
            to: State::Master,
            reason: Reason::SyncGroup
        }
    );
    assert!(out.contains(&Action::AddVips));
    // Following again changes nothing.
    assert!(
        r.handle(at(1.1), Event::SyncGroup(State::Master))
            .is_empty()
    );
    let out = r.handle(at(2.0), Event::SyncGroup(State::Backup));
    assert_eq!(
        out[0],
        Action::Transition {
            from: State::Master,
            to: State::Backup,
            reason: Reason::SyncGroup
        }
    );
    assert!(out.contains(&Action::RemoveVips));
    // The backup then waits a full Master_Down_Interval for the group's new master.
    assert_eq!(r.next_deadline(), Some(Timestamp(2_000_000 + 3_609_375)));
}

#[test]
fn sync_group_events_leave_fault_alone() {
    let mut r = started(cfg(5, 100), at(0.0));
    r.handle(at(0.5), Event::TrackFault(true));
    assert_eq!(r.state(), State::Fault);
    assert!(
        r.handle(at(1.0), Event::SyncGroup(State::Master))
            .is_empty()
    );
    assert_eq!(r.state(), State::Fault);
}
