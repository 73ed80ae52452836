//! Typed IDs, so that a meeting ID is never passed where a user ID belongs,
//! and the generators of the public numbers and secrets.

use rand::Rng;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str { &self.0 }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self { $name(s.to_owned()) }
        }
    };
}

id_type!(
    /// The public meeting ID (`confId`, REST `conferenceID`): nine digits.
    ConfId
);
id_type!(
    /// A user's stable ID (REST `userUUID`).
    UserId
);
id_type!(
    /// An enterprise (corp) ID.
    EnterpriseId
);
id_type!(
    /// A cloud meeting room (VMR) ID: nine digits, fixed for the room's life.
    RoomId
);

/// A nine-digit number that does not start with 0, the product's ID format
/// for meetings and rooms.
pub fn nine_digit_id<R: Rng + ?Sized>(rng: &mut R) -> String {
    rng.gen_range(100_000_000u32..1_000_000_000).to_string()
}

/// A password of `len` decimal digits (host and generated guest passwords).
pub fn digit_password<R: Rng + ?Sized>(rng: &mut R, len: usize) -> String {
    (0..len).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// The 48-character code a join link carries (the spec's `joinConfByRandom`).
pub fn join_random<R: Rng + ?Sized>(rng: &mut R) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..48)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// A random hex string of `bytes` random bytes (tokens, UUID-like IDs, keys).
pub fn random_hex<R: Rng + ?Sized>(rng: &mut R, bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rng.gen::<u8>())).collect()
}

/// A 32-hex-digit unique ID that sorts by creation time (seconds first, then
/// randomness), so that storage indexes it by appending rather than by
/// touching a random page for every new row.
pub fn time_ordered_uuid<R: Rng + ?Sized>(now: i64, rng: &mut R) -> String {
    format!("{:010x}{}", now.max(0), random_hex(rng, 11))
}
