//! The name of an instance's state file (`<state-dir>/<name>.state`). keepalived accepts any
//! instance name (`vrrp_instance ../../etc/x` runs), so havipd keeps running such a config but
//! never lets a name leave its state directory: a name that is not a plain file name is
//! written with its unsafe characters as `%XX`, and `havip check` warns (`instance-file-name`,
//! which does not change keepalived's verdict).

/// Whether `name` is a plain file name: not empty, not `.` or `..`, not starting with `.`, and
/// without `/`, `%` or control characters.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.chars().any(|c| c == '/' || c == '%' || c.is_control())
}

/// The file name havipd gives `instance`'s state: `<instance>.state` for a plain name;
/// otherwise `/`, `%`, control characters and a leading `.` are written `%XX` (so two names
/// never share a file, and none leaves the directory).
pub fn state_file_name(instance: &str) -> String {
    if is_plain_file_name(instance) {
        return format!("{instance}.state");
    }
    let mut out = String::new();
    for (i, c) in instance.chars().enumerate() {
        if c == '/' || c == '%' || c.is_control() || (i == 0 && c == '.') {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    if out.is_empty() {
        out.push_str("%00");
    }
    out + ".state"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_stay_in_the_directory_and_plain_ones_are_kept() {
        assert_eq!(state_file_name("VI_1"), "VI_1.state");
        assert_eq!(state_file_name("router one"), "router one.state");
        assert_eq!(state_file_name("../../etc/x"), "%2E.%2F..%2Fetc%2Fx.state");
        assert_eq!(state_file_name(".."), "%2E..state");
        assert_eq!(state_file_name("a%2Fb"), "a%252Fb.state");
        assert_ne!(state_file_name("a%2Fb"), state_file_name("a/b"));
        for name in ["../../etc/x", "..", ".", "a/b", ".hidden", "a\nb", ""] {
            assert!(!is_plain_file_name(name), "{name:?}");
            let file = state_file_name(name);
            assert!(!file.contains('/') && !file.starts_with('.'), "{file}");
        }
    }
}
