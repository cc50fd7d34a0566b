//! libpq encrypts PostgreSQL connections with the system's OpenSSL, which by default frees its
//! global state from an `atexit` handler. Threads that used a connection can still be ending
//! while the process exits — r2d2's maintenance threads outlive their pool until its next
//! scheduled run, tokio's blocking threads linger after their last job — and OpenSSL's
//! per-thread exit handler then races with that cleanup: a SIGSEGV or "munmap_chunk(): invalid
//! pointer" after everything else succeeded (seen on one test run in eight). OpenSSL provides
//! `OPENSSL_INIT_NO_ATEXIT` for programs like this one; the operating system reclaims the memory
//! at exit anyway.
use std::ffi::{c_int, c_void};
use std::sync::Once;

/// From `openssl/crypto.h` (OpenSSL 1.1.1 and 3.x).
const OPENSSL_INIT_NO_ATEXIT: u64 = 0x0008_0000;

#[link(name = "crypto")]
unsafe extern "C" {
    fn OPENSSL_init_crypto(opts: u64, settings: *const c_void) -> c_int;
}

/// Must run before the process's first PostgreSQL connection: the first initialisation of
/// OpenSSL decides whether the exit handler is registered.
pub fn skip_cleanup_at_exit() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: OPENSSL_init_crypto may be called from any thread at any time; a null
        // settings pointer asks for the defaults.
        let initialised = unsafe { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, std::ptr::null()) };
        if initialised != 1 {
            tracing::warn!(
                "OpenSSL failed to initialise: encrypted PostgreSQL connections will fail"
            );
        }
    });
}
