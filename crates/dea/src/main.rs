fn main() -> std::process::ExitCode {
    dea::main()
}
