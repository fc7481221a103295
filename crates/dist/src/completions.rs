//! Shell completions for `havip` and `havipd`, in the file names each shell's package
//! directory expects: `bash/havip`, `zsh/_havip`, `fish/havip.fish`.

use clap_complete::Shell;
use std::path::{Path, PathBuf};

/// The shells the package carries completions for, with their subdirectory.
pub const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "bash"),
    (Shell::Zsh, "zsh"),
    (Shell::Fish, "fish"),
];

/// The file name `shell` loads the completions of command `name` from: bash-completion looks
/// the command's own name up, zsh an underscore name on its fpath, fish `NAME.fish`.
pub fn file_name(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{name}"),
        Shell::Fish => format!("{name}.fish"),
        _ => name.to_string(),
    }
}

/// The completion script of `cmd` for `shell`.
pub fn script(shell: Shell, mut cmd: clap::Command) -> Vec<u8> {
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    out
}

/// Writes both commands' completions for every shell under `dir`.
pub fn write(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (shell, sub) in SHELLS {
        let shell_dir = dir.join(sub);
        std::fs::create_dir_all(&shell_dir)?;
        for cmd in [cli::command(), daemon_cli::command()] {
            let path = shell_dir.join(file_name(shell, cmd.get_name()));
            std::fs::write(&path, script(shell, cmd))?;
            written.push(path);
        }
    }
    Ok(written)
}
