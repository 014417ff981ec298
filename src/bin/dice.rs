//! `dice eval …` and `dice train …`: the engine on the command line (see the README,
//! "Command line"). Native only: trunk builds every target of the crate for wasm32, where
//! this binary is an empty program.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
use std::io::Write;
#[cfg(not(target_arch = "wasm32"))]
use std::process::ExitCode;

#[cfg(not(target_arch = "wasm32"))]
use dice_playground::cli::{one_line, run};

#[cfg(not(target_arch = "wasm32"))]
fn main() -> ExitCode {
    // A bug must still end in one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(
            std::io::stderr(),
            "internal error (please report): {}",
            one_line(&info.to_string())
        );
    }));
    let (stdin, stderr) = (std::io::stdin(), std::io::stderr());
    let code = run::main_with(
        std::env::args_os().skip(1).collect(),
        &mut run::Io {
            stdin: &mut stdin.lock(),
            stdout: &mut *stdout(),
            stderr: &mut stderr.lock(),
            terminal: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        },
    );
    ExitCode::from(code)
}

#[cfg(not(target_arch = "wasm32"))]
/// Standard output without Rust's line buffering, which would search every block of a
/// large output for newlines; the commands buffer their output themselves.
fn stdout() -> Box<dyn Write> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(std::io::stdout().lock())
}
