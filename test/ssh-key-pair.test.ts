import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateSshKeyPair } from '../src/platform/sftp/ssh-key-pair.js';

describe('SSH key pairs', () => {
  it('are always readable back (ssh2 alone writes an unreadable one about once in two hundred)', () => {
    for (let i = 0; i < 1500; i++) {
      const pair = generateSshKeyPair('t');
      expect(ssh2.utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
    }
  });
});
