//! Every value havipd would misread is an error at its file:line:col: weights out of range,
//! prefixes too long, unknown route and rule words, routes mixing families, unknown scopes.
//! An IPv6 `default` route is not one of them: it takes its gateway's family.

use conf::{Options, Severity, check_text};

/// The errors of `text` as `line:col code`.
fn errors(text: &str) -> Vec<String> {
    let report = check_text(text, &Options::default());
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{} {}", d.location.line, d.location.col, d.message))
        .collect()
}

fn config(script: &str, instance: &str) -> String {
    format!(
        "vrrp_script chk {{\n    script \"/bin/true\"\n{script}\n}}\n\
         vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n\
         {instance}\n}}\n"
    )
}

#[test]
fn weights_outside_keepalived_ranges_are_errors_at_the_weight() {
    assert_eq!(
        errors(&config("    weight 300", "")),
        ["3:5 weight 300 is outside -253..253"]
    );
    assert_eq!(
        errors(&config("    weight -253 reverse", "")),
        [] as [&str; 0]
    );
    let track = "    track_script {\n        chk weight 254\n    }";
    assert_eq!(
        errors(&config("", track)),
        ["10:20 weight 254 is outside -253..253"]
    );
    let interface = "    track_interface {\n        eth1 weight 254 noreverse\n    }";
    assert_eq!(errors(&config("", interface)), [] as [&str; 0]);
}

#[test]
fn addresses_routes_and_rules_are_checked_word_by_word() {
    let vips =
        "    virtual_ipaddress {\n        10.0.0.0/33\n        10.0.0.7/24 scope galaxy\n    }";
    assert_eq!(
        errors(&config("", vips)),
        [
            "10:9 `10.0.0.0/33`: the prefix length must be 0-32; keepalived skips this entry",
            "11:27 unknown scope `galaxy` (global, site, link, host, nowhere or 0-255)",
        ]
    );
    let routes = "    virtual_routes {\n        10.1.0.0/16 via 10.0.0.1 blah\n        \
                  10.2.0.0/16 via fe80::1\n        default via fe80::1 dev eth0\n    }";
    let got = errors(&config("", routes));
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with("10:34 virtual_routes: unknown route word `blah`"),
        "{got:?}"
    );
    assert!(
        got[1].starts_with("11:25 virtual_routes: an IPv6 value in an IPv4 line"),
        "{got:?}"
    );
    let rules = "    virtual_rules {\n        from 10.0.0.0/8 goto 5\n        from all fwmark 3 table 3\n    }";
    assert_eq!(
        errors(&config("", rules)),
        ["10:25 virtual_rules: unknown rule word `goto`"]
    );
}
