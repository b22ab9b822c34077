//! Hostile and random input: no panics, bounded memory, and cleaning that does not
//! depend on how the bytes were split into reads.

use super::*;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const NOISE: &[&[u8]] = &[b"\x1b[0m", b"\x1b[1;31m", b"\x1b[K", b"\x1b]0;title\x07", b"\x1b[?2004h", b"\r"];

fn clean_in_chunks(bytes: &[u8], rng: &mut Rng) -> String {
    let mut t = Transcript::new(1 << 20);
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = 1 + rng.below(rest.len().min(64));
        t.push(&rest[..n]).unwrap();
        rest = &rest[n..];
    }
    t.take()
}

#[test]
fn random_bytes_never_panic_and_stay_bounded() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..2_000 {
        let len = rng.below(4096);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let limit = 1 + rng.below(2048);
        let mut t = Transcript::new(limit);
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len());
            if t.push(&rest[..n]).is_err() {
                break;
            }
            rest = &rest[n..];
            let _ = t.last_line();
        }
        assert!(t.len() <= limit, "round {round}: {} > {limit}", t.len());
    }
}

#[test]
fn splitting_and_ansi_noise_do_not_change_the_text() {
    let mut rng = Rng(42);
    let text = "Interface    IP-Address   OK? Method Status   Protocol\nGi0/0  10.0.0.1  YES NVRAM  up  up\nr1#";
    for _ in 0..500 {
        let mut noisy = Vec::new();
        for b in text.bytes() {
            if rng.below(8) == 0 {
                noisy.extend_from_slice(NOISE[rng.below(NOISE.len())]);
            }
            noisy.push(b);
        }
        assert_eq!(clean_in_chunks(&noisy, &mut rng), text);
    }
}

#[test]
fn a_huge_line_is_cut_at_the_limit() {
    let mut t = Transcript::new(1 << 16);
    let line = vec![b'x'; 1 << 20];
    assert_eq!(t.push(&line), Err(TooLarge));
    assert_eq!(t.len(), 1 << 16);
    assert_eq!(t.last_line().len(), 1024);
}
