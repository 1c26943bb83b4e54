//! Tar headers written byte by byte, with correct checksums, for the structure-aware
//! targets: any name can be written, `..` and control characters included.
#![allow(dead_code)]

pub fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    let text = &text.as_bytes()[text.len().saturating_sub(width)..];
    field[..width].copy_from_slice(text);
    field[width] = 0;
}

/// The fields of one header.
pub struct Head<'a> {
    pub name: &'a [u8],
    pub kind: u8,
    pub size: u64,
    pub mode: u32,
    pub owner: u64,
    pub link: &'a [u8],
    pub dev: (u8, u8),
}

/// One 512-byte header with a correct checksum.
pub fn header(head: &Head<'_>) -> [u8; 512] {
    let Head { name, kind, size, mode, owner, link, dev } = *head;
    let mut h = [0u8; 512];
    let name = &name[..name.len().min(100)];
    h[..name.len()].copy_from_slice(name);
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], owner);
    octal(&mut h[116..124], owner);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 1_700_000_000);
    h[156] = kind;
    let link = &link[..link.len().min(100)];
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    octal(&mut h[329..337], u64::from(dev.0));
    octal(&mut h[337..345], u64::from(dev.1));
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    octal(&mut h[148..155], sum);
    h[155] = b' ';
    h
}

pub fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// A PAX record `"%d %s=%s\n"`, whose length counts itself.
pub fn record(key: &str, value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len.to_string().len() + rest != len {
        len = len.to_string().len() + rest;
    }
    let mut r = format!("{len} {key}=").into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    r
}
