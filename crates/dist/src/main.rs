//! `havip-dist DIR`: writes the package's generated files (man pages, completions) to DIR.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: havip-dist DIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    match dist::write_all(&dir) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("havip-dist: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
