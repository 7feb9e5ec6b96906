//! The `dea` CLI (crate `crates/dea`), built as a binary of this package so
//! that tests can run it as a child process (`CARGO_BIN_EXE_dea`): through a
//! slow pipe, into `head`, against fake daemons and real engines, next to
//! the docker CLI.

fn main() -> std::process::ExitCode {
    dea::main()
}
