//! The durable write with nothing but system calls: open a temp file, write, fsync, close,
//! rename over the target, fsync the directory. Run sequentially, it is the fastest any
//! implementation of the same guarantee can go on this disk.
//!
//! usage: syscall-limit <dir> <writes> <keys> <payload-bytes>; prints writes per second.
//!        syscall-limit batch <dir> <files> <payload-bytes>: the floor of a durable batch of new
//!        files (each written to a temp file, one syncfs, each renamed, one directory fsync);
//!        prints milliseconds. On Linux only (it needs syncfs).
//!        syscall-limit read <dir> <first-timestamp> <count> <reads>: the floor of reading a range
//!        of cached candles (`<dir>/<first + i * 60000>.json`): open, fstat, read, close of each
//!        file, on one thread, `reads` times; prints milliseconds per range.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, dir, files, bytes] = args.as_slice() {
        if mode == "batch" {
            return batch(Path::new(dir), parse(files), parse(bytes));
        }
    }
    if let [_, mode, dir, first, count, reads] = args.as_slice() {
        if mode == "read" {
            return read_range(Path::new(dir), parse(first), parse(count), parse(reads));
        }
    }
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

#[cfg(target_os = "linux")]
fn batch(dir: &Path, files: usize, bytes: usize) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let payload = vec![b'x'; bytes];
    let started = Instant::now();
    let mut temps = Vec::with_capacity(files);
    for n in 0..files {
        let temp = dir.join(format!(".tmp-{n:012x}-f{n}.json"));
        OpenOptions::new().write(true).create_new(true).open(&temp)?.write_all(&payload)?;
        temps.push(temp);
    }
    let handle = File::open(dir)?;
    // SAFETY: `handle` stays open for the call.
    if unsafe { libc_syncfs(handle.as_raw_fd()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    for (n, temp) in temps.iter().enumerate() {
        std::fs::rename(temp, dir.join(format!("f{n}.json")))?;
    }
    handle.sync_all()?;
    println!("{:.1}", started.elapsed().as_secs_f64() * 1000.0);
    Ok(())
}

#[cfg(target_os = "linux")]
extern "C" {
    #[link_name = "syncfs"]
    fn libc_syncfs(fd: i32) -> i32;
}

#[cfg(not(target_os = "linux"))]
fn batch(_dir: &Path, _files: usize, _bytes: usize) -> std::io::Result<()> {
    Err(std::io::Error::other("the batch floor needs syncfs (Linux)"))
}

fn read_range(dir: &Path, first: usize, count: usize, reads: usize) -> std::io::Result<()> {
    use std::io::Read;
    let paths: Vec<_> = (0..count).map(|i| dir.join(format!("{}.json", first + i * 60_000))).collect();
    let mut buffer = Vec::new();
    let started = Instant::now();
    for _ in 0..reads {
        for path in &paths {
            let mut file = File::open(path)?;
            let length = file.metadata()?.len() as usize;
            buffer.clear();
            buffer.reserve(length);
            file.read_to_end(&mut buffer)?;
        }
    }
    println!("{:.4}", started.elapsed().as_secs_f64() * 1000.0 / reads as f64);
    Ok(())
}

fn parse(text: &str) -> usize {
    text.parse().unwrap_or_else(|_| {
        eprintln!("not a number: {text}");
        std::process::exit(2)
    })
}
