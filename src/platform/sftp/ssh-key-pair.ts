import ssh2 from 'ssh2';

/**
 * An Ed25519 key pair in OpenSSH format. ssh2's generator writes an unreadable private key about once in two
 * hundred (measured here: 28 of 6,000 fail its own parseKey with "Malformed OpenSSH private key"), so each
 * pair is read back and generated again when it does not parse.
 */
export function generateSshKeyPair(comment?: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', comment ? { comment } : undefined);
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error('could not generate a readable SSH key pair');
}
