//! Typed IDs, so that a meeting ID is never passed where a user ID belongs,
//! and the generators of the public numbers and secrets.

use std::sync::atomic::{AtomicU32, Ordering};

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
    /// A meeting's own stable ID (REST `confUUID`): one per meeting ever
    /// created, time-ordered, unlike the `ConfId` a room reuses.
    ConfUuid
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
/// Each letter is the low six bits of a random byte, drawn again when they
/// fall past the 62 letters, so every letter is equally likely (~286 bits);
/// a block of bytes at a time costs a fraction of a range draw per letter.
pub fn join_random<R: Rng + ?Sized>(rng: &mut R) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const LEN: usize = 48;
    let mut code = String::with_capacity(LEN);
    let mut bytes = [0u8; 64];
    while code.len() < LEN {
        rng.fill_bytes(&mut bytes);
        for b in bytes {
            if let Some(&letter) = ALPHABET.get(usize::from(b & 63)) {
                if code.len() < LEN {
                    code.push(char::from(letter));
                }
            }
        }
    }
    code
}

/// A random hex string of `bytes` random bytes (tokens, UUID-like IDs, keys).
pub fn random_hex<R: Rng + ?Sized>(rng: &mut R, bytes: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes);
    for _ in 0..bytes {
        let b: u8 = rng.gen();
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// Counts the IDs [`time_ordered_uuid`] drew in this process.
static UUID_SEQ: AtomicU32 = AtomicU32::new(0);

/// A 32-hex-digit unique ID that sorts by creation time: seconds (10 digits),
/// then this process's draw counter (6 digits), then 64 random bits. Storage
/// indexes it by appending at the index's end rather than by touching a
/// random page for every new row: with seconds then randomness, the ~10,000
/// IDs of one busy second landed on ~500 different index pages, one WAL frame
/// each. The counter wraps after 2^24 draws, which only costs that one
/// second's ordering, never uniqueness (the random bits keep IDs from
/// several nodes, or from a restart within the same second, apart).
pub fn time_ordered_uuid<R: Rng + ?Sized>(now: i64, rng: &mut R) -> String {
    let seq = UUID_SEQ.fetch_add(1, Ordering::Relaxed) & 0xff_ffff;
    format!("{:010x}{seq:06x}{:016x}", now.max(0), rng.gen::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_of_one_second_sort_in_draw_order() {
        let mut rng = rand::thread_rng();
        let ids: Vec<String> = (0..1000).map(|_| time_ordered_uuid(1_700_000_000, &mut rng)).collect();
        for id in &ids {
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
        // Other tests of this process draw too, so the counter may have moved
        // on between two draws, but never backwards (short of a 2^24 wrap).
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "not ascending");
        assert!(time_ordered_uuid(1_700_000_001, &mut rng) > ids[999]);
    }

    #[test]
    fn join_codes_use_every_letter_alike() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..2000 {
            let code = join_random(&mut rng);
            assert_eq!(code.len(), 48);
            for c in code.chars() {
                assert!(c.is_ascii_alphanumeric(), "{code}");
                *counts.entry(c).or_insert(0u32) += 1;
            }
        }
        // 96,000 letters: ~1,548 each (standard deviation ~39). A letter
        // drawn twice as often (a modulo's bias) or never is far outside.
        assert_eq!(counts.len(), 62);
        assert!(counts.values().all(|&n| (1300..1800).contains(&n)), "{counts:?}");
    }

    #[test]
    fn random_hex_is_two_digits_a_byte() {
        let h = random_hex(&mut rand::thread_rng(), 16);
        assert_eq!(h.len(), 32);
        assert!(h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    }
}
