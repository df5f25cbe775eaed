//! The durable write with nothing but system calls: open a temp file, write, fsync, close,
//! rename over the target, fsync the directory. Run sequentially, it is the fastest any
//! implementation of the same guarantee can go on this disk.
//!
//! usage: syscall-limit <dir> <writes> <keys> <payload-bytes>; prints writes per second.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, writes, keys, bytes] = args.as_slice() else {
        eprintln!("usage: syscall-limit <dir> <writes> <keys> <payload-bytes>");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    let (writes, keys, bytes): (usize, usize, usize) = (parse(writes), parse(keys), parse(bytes));
    let payload = vec![b'x'; bytes];
    let started = Instant::now();
    for n in 0..writes {
        let target = dir.join(format!("k{}.json", n % keys));
        let temp = dir.join(format!(".tmp-{n:012x}-k{}.json", n % keys));
        let mut file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(&payload)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, &target)?;
        File::open(dir)?.sync_all()?;
    }
    println!("{:.1}", writes as f64 / started.elapsed().as_secs_f64());
    Ok(())
}

fn parse(text: &str) -> usize {
    text.parse().unwrap_or_else(|_| {
        eprintln!("not a number: {text}");
        std::process::exit(2)
    })
}
