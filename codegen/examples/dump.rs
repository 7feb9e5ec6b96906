fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("spec path");
    let interface = match args.next().as_deref() {
        Some("positional") => docker_engine_api_codegen::generate::Interface::Positional,
        _ => docker_engine_api_codegen::generate::Interface::Builder,
    };
    match docker_engine_api_codegen::generate_source(std::path::Path::new(&path), interface) {
        Ok(src) => print!("{src}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
