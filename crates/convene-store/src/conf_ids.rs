//! Random-looking meeting IDs that cost no random index (SQLite).
//!
//! A random meeting ID drawn at random must be looked up by that ID, so every
//! create wrote one entry into an index keyed by a random number: a page of
//! the WAL per create, anywhere in the index (measured: ~1.65 of the ~3.2 WAL
//! frames a create wrote, and ~15 us of the server's CPU per create).
//!
//! The SQLite store instead numbers its random-ID meetings 0, 1, 2, ... and
//! gives meeting number `seq` the ID `100000000 + P(seq)`, where `P` is a
//! permutation of `0..900_000_000` keyed by a secret kept in the database
//! ([`ConfIdCipher`]). The IDs are the same 9-digit numbers as before, unique
//! without a check and unpredictable without the key; a lookup by ID inverts
//! `P` and reads the row by its sequence number, whose index only ever grows
//! at its end. IDs that were drawn (cloud meeting rooms, meetings stored
//! before this scheme, PostgreSQL's) keep their index.
//!
//! `P` is a balanced Feistel network on 30 bits with AES-128 as the round
//! function, walked again while its result is outside the 900 million IDs
//! (cycle walking; 1.19 passes on average).

use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use aes::Aes128;

/// How many derived IDs there are: one per 9-digit number.
pub const DERIVED_IDS: i64 = 900_000_000;

/// The smallest 9-digit number.
const FIRST_ID: u32 = 100_000_000;

const HALF_BITS: u32 = 15;
const HALF_MASK: u32 = (1 << HALF_BITS) - 1;

/// Rounds of the Feistel network (four already make a strong pseudorandom
/// permutation; more cost ~15 ns each).
const ROUNDS: u8 = 8;

/// The keyed permutation between sequence numbers and meeting IDs.
#[derive(Clone)]
pub struct ConfIdCipher(Aes128);

impl std::fmt::Debug for ConfIdCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfIdCipher(..)")
    }
}

impl ConfIdCipher {
    pub fn new(key: [u8; 16]) -> ConfIdCipher {
        ConfIdCipher(Aes128::new(&Array::from(key)))
    }

    fn round(&self, round: u8, half: u32) -> u32 {
        let mut block = Array::from([0u8; 16]);
        block[0] = round;
        block[1..5].copy_from_slice(&half.to_le_bytes());
        self.0.encrypt_block(&mut block);
        u32::from_le_bytes([block[0], block[1], block[2], block[3]]) & HALF_MASK
    }

    /// One pass of the Feistel network over 30 bits.
    fn forward(&self, x: u32) -> u32 {
        let (mut left, mut right) = (x >> HALF_BITS, x & HALF_MASK);
        for r in 0..ROUNDS {
            (left, right) = (right, left ^ self.round(r, right));
        }
        (left << HALF_BITS) | right
    }

    fn backward(&self, x: u32) -> u32 {
        let (mut left, mut right) = (x >> HALF_BITS, x & HALF_MASK);
        for r in (0..ROUNDS).rev() {
            (left, right) = (right ^ self.round(r, left), left);
        }
        (left << HALF_BITS) | right
    }

    /// The meeting ID of sequence number `seq` (`0..DERIVED_IDS`).
    pub fn id_of(&self, seq: i64) -> Option<String> {
        if !(0..DERIVED_IDS).contains(&seq) {
            return None;
        }
        let mut x = seq as u32;
        loop {
            x = self.forward(x);
            if i64::from(x) < DERIVED_IDS {
                return Some((FIRST_ID + x).to_string());
            }
        }
    }

    /// The sequence number whose ID `id` is, for any 9-digit number.
    pub fn seq_of(&self, id: &str) -> Option<i64> {
        if id.len() != 9 || !id.bytes().all(|b| b.is_ascii_digit()) || id.starts_with('0') {
            return None;
        }
        let mut x = id.parse::<u32>().ok()? - FIRST_ID;
        loop {
            x = self.backward(x);
            if i64::from(x) < DERIVED_IDS {
                return Some(i64::from(x));
            }
        }
    }
}

/// Where a store's random meeting IDs come from.
#[derive(Debug)]
pub struct IdDraws {
    /// The permutation (SQLite), or `None`: IDs drawn at random and checked
    /// against an index (PostgreSQL, where several nodes create at once).
    pub cipher: Option<ConfIdCipher>,
    /// The next sequence number to give out.
    pub next: i64,
}

impl IdDraws {
    pub fn drawn() -> IdDraws {
        IdDraws { cipher: None, next: 0 }
    }

    /// An ID to try, and its sequence number when it is derived. Once all
    /// 900 million derived IDs are given out, IDs are drawn at random again.
    pub fn draw(&mut self) -> (String, Option<i64>) {
        if let Some(id) = self.cipher.as_ref().and_then(|c| c.id_of(self.next)) {
            let seq = self.next;
            self.next += 1;
            return (id, Some(seq));
        }
        (convene_core::ids::nine_digit_id(&mut rand::thread_rng()), None)
    }
}

/// The sequence number a lookup of `id` must also try.
pub fn seq_of(cipher: Option<&ConfIdCipher>, id: &str) -> Option<i64> {
    cipher.and_then(|c| c.seq_of(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn cipher() -> ConfIdCipher {
        ConfIdCipher::new(*b"0123456789abcdef")
    }

    #[test]
    fn ids_are_nine_digits_distinct_and_invert_to_their_sequence_number() {
        let c = cipher();
        let mut seen = HashSet::new();
        for seq in (0..200_000).chain(DERIVED_IDS - 1000..DERIVED_IDS) {
            let id = c.id_of(seq).unwrap();
            assert_eq!(id.len(), 9, "{id}");
            assert!(!id.starts_with('0'));
            assert!(seen.insert(id.clone()), "{id} given twice");
            assert_eq!(c.seq_of(&id), Some(seq));
        }
        assert_eq!(c.id_of(DERIVED_IDS), None);
        assert_eq!(c.id_of(-1), None);
    }

    #[test]
    fn every_nine_digit_number_is_some_sequence_numbers_id() {
        let c = cipher();
        for id in ["100000000", "999999999", "123456789", "500000000"] {
            let seq = c.seq_of(id).unwrap();
            assert!((0..DERIVED_IDS).contains(&seq));
            assert_eq!(c.id_of(seq).unwrap(), id);
        }
        for not_id in ["", "12345678", "1234567890", "012345678", "12345678a", "-12345678"] {
            assert_eq!(c.seq_of(not_id), None, "{not_id:?}");
        }
    }

    #[test]
    fn consecutive_meetings_do_not_get_neighbouring_ids() {
        let c = cipher();
        let ids: Vec<i64> = (0..1000).map(|s| c.id_of(s).unwrap().parse().unwrap()).collect();
        let close = ids.windows(2).filter(|w| (w[0] - w[1]).abs() < 1000).count();
        assert!(close < 5, "{close} of 999 neighbours within 1000 of each other");
        // Another key, other IDs.
        let other = ConfIdCipher::new(*b"fedcba9876543210");
        let same = (0..1000).filter(|s| other.id_of(*s) == c.id_of(*s)).count();
        assert!(same < 5);
    }

    #[test]
    fn draws_fall_back_to_random_ids_when_the_sequence_is_used_up() {
        let mut d = IdDraws {
            cipher: Some(cipher()),
            next: DERIVED_IDS - 1,
        };
        let (id, seq) = d.draw();
        assert_eq!(seq, Some(DERIVED_IDS - 1));
        assert_eq!(cipher().seq_of(&id), seq);
        let (id, seq) = d.draw();
        assert_eq!(seq, None);
        assert_eq!(id.len(), 9);
        assert_eq!(IdDraws::drawn().draw().1, None);
    }
}
