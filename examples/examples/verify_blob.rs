//! Streams a file through a verifying reader: exactly what a store does with every blob.
//!
//! ```text
//! cargo run --release -p oci-examples --example verify_blob -- FILE [DIGEST]
//! ```
//! With a DIGEST (such as `sha256:…`) the file must have that digest and its own size;
//! without one, the SHA-256 digest is printed.

use std::fs::File;
use std::io::{self, Read};
use std::process::ExitCode;

use oci_image::{Digest, DigestWriter, VerifyingReader};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, expected) = match args.as_slice() {
        [path] => (path, None),
        [path, digest] => (path, Some(digest)),
        _ => {
            eprintln!("usage: verify_blob FILE [DIGEST]");
            return ExitCode::from(2);
        }
    };
    match run(path, expected.map(String::as_str)) {
        Ok(digest) => {
            println!("{digest}  {path}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("verify_blob: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str, expected: Option<&str>) -> Result<Digest, Box<dyn std::error::Error>> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut buf = vec![0u8; 1 << 20];
    match expected {
        Some(expected) => {
            let digest: Digest = expected.parse()?;
            let mut reader = VerifyingReader::new(file, &digest, size)?;
            while reader.read(&mut buf)? != 0 {}
            Ok(digest)
        }
        None => {
            let mut writer = DigestWriter::sha256(io::sink());
            io::copy(&mut io::BufReader::with_capacity(1 << 20, file), &mut writer)?;
            Ok(writer.finish().1)
        }
    }
}
