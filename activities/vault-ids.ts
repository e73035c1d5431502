import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RememberedVault {
  vaultId: string;
  credentialId: string;
}

/**
 * Where a worker remembers each user's vault and credential ids, so a sweep verifies two ids instead
 * of listing every vault. It is a cache: a miss or a stale entry falls back to a lookup by metadata.
 */
export interface VaultIdStore {
  get(identifier: string): Promise<RememberedVault | undefined>;
  set(identifier: string, ids: RememberedVault): Promise<void>;
  delete(identifier: string): Promise<void>;
}

export class MemoryVaultIdStore implements VaultIdStore {
  protected readonly entries = new Map<string, RememberedVault>();
  async get(identifier: string) {
    return this.entries.get(identifier);
  }
  async set(identifier: string, ids: RememberedVault) {
    this.entries.set(identifier, ids);
  }
  async delete(identifier: string) {
    this.entries.delete(identifier);
  }
}

/** A JSON file, loaded once and rewritten atomically on change: enough for one host's workers. */
export class FileVaultIdStore extends MemoryVaultIdStore {
  private loaded?: Promise<void>;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    super();
  }

  override async get(identifier: string) {
    await this.load();
    return super.get(identifier);
  }
  override async set(identifier: string, ids: RememberedVault) {
    await this.load();
    await super.set(identifier, ids);
    await this.save();
  }
  override async delete(identifier: string) {
    await this.load();
    await super.delete(identifier);
    await this.save();
  }

  private load(): Promise<void> {
    this.loaded ??= readFile(this.path, 'utf8').then(
      (text) => {
        for (const [k, v] of Object.entries(JSON.parse(text) as Record<string, RememberedVault>))
          this.entries.set(k, v);
      },
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      },
    );
    return this.loaded;
  }

  private save(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.entries), null, 2);
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot);
      await rename(tmp, this.path);
    });
    return this.writing;
  }
}
