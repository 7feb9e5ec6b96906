//! The `dea` example of the facade, built as a binary of this package (with
//! every API version) so that tests can run it as a child process: through a
//! slow pipe, into `head`, against fake daemons.

#[path = "../../../crates/docker-engine-client/examples/dea.rs"]
mod dea;

fn main() -> std::process::ExitCode {
    dea::main()
}
