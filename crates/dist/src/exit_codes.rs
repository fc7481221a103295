//! `docs/exit-codes.md`, generated from the EXIT STATUS sections of the man pages
//! (`sections.rs`), so the page and havip(1) / havipd(8) say the same.

use crate::sections::{self, Section};

fn exit_status(page: &str, sections: &[Section], out: &mut String) {
    for s in sections.iter().filter(|s| s.heading == "EXIT STATUS") {
        out.push_str(&format!("## {page}\n\n"));
        if !s.intro.is_empty() {
            out.push_str(&format!("{}\n\n", s.intro));
        }
        out.push_str("| command or code | meaning |\n|---|---|\n");
        for (term, meaning) in s.entries {
            out.push_str(&format!("| `{term}` | {meaning} |\n"));
        }
        out.push('\n');
    }
}

/// The exit codes of `havip` and `havipd`, as their man pages give them.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Exit codes\n\n\
         Generated from the EXIT STATUS sections of havip(1) and havipd(8)\n\
         (`crates/dist/src/sections.rs`; regenerate with\n\
         `HAVIP_REGENERATE=1 cargo test -p dist --test exit_codes`).\n\n",
    );
    exit_status("havip", sections::HAVIP, &mut out);
    exit_status("havipd", sections::HAVIPD, &mut out);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
