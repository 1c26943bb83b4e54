//! `oci`: inspect, validate, unpack and copy OCI images. The interface is a contract
//! (see the repository's DESIGN): exit 0 on success, 1 on failure with the reason on
//! stderr, 2 on bad usage.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use oci_examples::terminal::escape_display;
use oci_examples::{
    Failure, bundle, copy, demo, gc, inspect, ls, pack, remote, spec, unpack, validate,
};

#[derive(Debug, Parser)]
#[command(name = "oci", version, about = "Inspect, validate, unpack and copy OCI images")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A JSON summary of an image: descriptor, manifest or index, configuration.
    Inspect(inspect::Args),
    /// The tags of a layout, with digests, platforms and sizes.
    Ls(ls::Args),
    /// Check a layout whole (blobs, digests, references, documents), or one document
    /// (`--kind`): every problem, with where it is.
    Validate(validate::Args),
    /// Copy an image between layouts, archives and registries, verified.
    Copy(copy::Args),
    /// Delete an image from a registry (`docker://HOST/REPO:TAG` or `@DIGEST`).
    Delete(remote::DeleteArgs),
    /// The digest of a registry image, computed from its manifest's bytes.
    Digest(remote::DigestArgs),
    /// Check credentials with a registry and store them in the auth file.
    Login(remote::LoginArgs),
    /// Remove stored credentials for a registry.
    Logout(remote::LogoutArgs),
    /// Unpack an image into a root filesystem, every layer verified, all or nothing.
    Unpack(unpack::Args),
    /// Make a runtime bundle: rootfs/ and a config.json converted from the image.
    Bundle(bundle::Args),
    /// Build a sample image here, unpack it into a bundle, check both, say what happened.
    Demo(demo::Args),
    /// Pack a directory into an image (or a layer on top of a base image).
    Pack(pack::Args),
    /// Remove the blobs of a layout that no tag reaches.
    Gc(gc::Args),
    /// Print the default runtime config.json (that of `runc spec`).
    Spec(spec::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Ls(args) => ls::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Copy(args) => copy::run(&args),
        Command::Delete(args) => remote::delete(&args),
        Command::Digest(args) => remote::digest(&args),
        Command::Login(args) => remote::login(&args),
        Command::Logout(args) => remote::logout(&args),
        Command::Unpack(args) => unpack::run(&args),
        Command::Bundle(args) => bundle::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Pack(args) => pack::run(&args),
        Command::Gc(args) => gc::run(&args),
        Command::Spec(args) => spec::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Reported) => ExitCode::FAILURE,
        Err(Failure::Usage(message)) => {
            eprintln!("oci: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Error(e)) => {
            // Errors quote names from images and archives: print them escaped.
            eprintln!("oci: {}", escape_display(&e));
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {}", escape_display(s));
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
