//! Password hashing with argon2id (the argon2 crate's defaults: 19 MiB, 2 passes).
//!
//! Each hash needs 19 MiB of working memory. Allocating it per hash made the allocator keep
//! every freed buffer in its heaps: 32 concurrent sign-ins grew the server to 1.8 GB
//! (`docs/performance.md`, finding 4). Hashes therefore run in a fixed set of buffers, one per
//! core, allocated once: at most that many hashes run at a time (more could not run faster on
//! those cores anyway) and the memory they use is bounded.

use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::ApiError;

/// Hashes `password` into a PHC string with a fresh salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    let mut raw_salt = [0u8; argon2::password_hash::Salt::MAX_LENGTH];
    let raw_salt = salt
        .decode_b64(&mut raw_salt)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), raw_salt, &mut out, blocks)
    })
    .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches `phc`. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut raw_salt = [0u8; argon2::password_hash::Salt::MAX_LENGTH];
    let Ok(raw_salt) = salt.decode_b64(&mut raw_salt) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let hashed = with_blocks(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password.as_bytes(), raw_salt, &mut out, blocks)
    });
    // `Output`'s equality is constant-time.
    hashed.is_ok() && Output::new(&out).is_ok_and(|actual| actual == expected)
}

/// [`verify`] on a blocking thread; with no hash (an unknown account) it checks against a
/// dummy, so that the answer takes as long either way.
pub async fn verify_off_thread(password: String, phc: Option<String>) -> Result<bool, ApiError> {
    Ok(actix_web::web::block(move || match phc {
        Some(phc) => verify(&password, &phc),
        None => {
            verify_against_dummy(&password);
            false
        }
    })
    .await?)
}

/// Spends the same time as a real check when the account does not exist, so response times do
/// not reveal which emails have accounts.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("not-a-real-password-for-timing").unwrap_or_default());
    let _ = verify(password, dummy);
}

/// The working memory of the hashes: one buffer per core, taken and given back.
struct Buffers {
    free: Mutex<Vec<Vec<Block>>>,
    returned: Condvar,
}

/// Runs `f` with `count` blocks of working memory, waiting while every buffer is in use.
fn with_blocks<R>(count: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
    static BUFFERS: OnceLock<Buffers> = OnceLock::new();
    let buffers = BUFFERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Buffers {
            free: Mutex::new((0..cores).map(|_| Vec::new()).collect()),
            returned: Condvar::new(),
        }
    });
    let mut buffer = {
        let mut free = buffers.free.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(buffer) = free.pop() {
                break buffer;
            }
            free = buffers
                .returned
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
    };
    if buffer.len() < count {
        buffer.resize(count, Block::default());
    }
    let result = f(&mut buffer[..count]);
    buffers
        .free
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(buffer);
    buffers.returned.notify_one();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let phc = hash("correct horse battery staple").unwrap();

        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple", &phc));
        assert!(!verify("correct horse battery stapler", &phc));
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let phc = Argon2::default()
            .hash_password(b"s3cret-enough", &salt)
            .unwrap()
            .to_string();

        assert!(verify("s3cret-enough", &phc));
        assert!(!verify("s3cret-enougH", &phc));
    }

    #[test]
    fn hashes_verify_while_more_threads_hash_than_there_are_buffers() {
        let phc = hash("parallel").unwrap();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let phc = phc.clone();
                std::thread::spawn(move || {
                    verify(if i % 2 == 0 { "parallel" } else { "nope" }, &phc)
                })
            })
            .collect();
        let results: Vec<bool> = threads.into_iter().map(|t| t.join().unwrap()).collect();

        assert_eq!(
            results,
            [true, false, true, false, true, false, true, false]
        );
    }

    #[test]
    fn a_malformed_hash_never_matches() {
        assert!(!verify("anything", "not a phc string"));
    }
}
