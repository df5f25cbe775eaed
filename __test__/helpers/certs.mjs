// A certificate authority and a server certificate it signed (for localhost and 127.0.0.1),
// made with the openssl command in a temp directory, for the TLS tests of the server stores.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const haveOpenssl = spawnSync("openssl", ["version"]).status === 0;

/** `{ dir, ca, cert, key }`: paths of PEM files; removed when the test ends. */
export function makeCertificates(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "certs-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name) => path.join(dir, name);
  const openssl = (...args) => execFileSync("openssl", args, { stdio: "ignore" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=backtest-persist test CA", "-keyout", file("ca.key"), "-out", file("ca.pem"));
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", file("server.key"), "-out", file("server.csr"));
  fs.writeFileSync(file("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", file("san.ext"), "-out", file("server.pem"));
  fs.chmodSync(file("server.key"), 0o600);
  return { dir, ca: file("ca.pem"), cert: file("server.pem"), key: file("server.key") };
}
