import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Fund, Organisme, Regime } from './regime.entity.js';

export interface ReferenceRows {
  regimes: Pick<Regime, 'code' | 'name'>[];
  funds: Pick<Fund, 'code' | 'regimeCode' | 'name'>[];
  organismes: Pick<Organisme, 'code' | 'fundCode' | 'regimeCode' | 'name' | 'city'>[];
}

@Injectable()
export class RegimesRepository {
  constructor(private readonly dataSource: DataSource) {}

  async organismeExists(code: string): Promise<boolean> {
    const rows = await this.dataSource.query(`SELECT 1 FROM organisme WHERE code = $1 AND active`, [code]);
    return rows.length > 0;
  }

  listRegimes(): Promise<Regime[]> {
    return this.dataSource.getRepository(Regime).find({ order: { code: 'ASC' } });
  }

  listFunds(regimeCode?: string): Promise<Fund[]> {
    return this.dataSource
      .getRepository(Fund)
      .find({ where: regimeCode ? { regimeCode } : {}, order: { code: 'ASC' } });
  }

  listOrganismes(filter: { regimeCode?: string; fundCode?: string }): Promise<Organisme[]> {
    const where: { regimeCode?: string; fundCode?: string } = {};
    if (filter.regimeCode) where.regimeCode = filter.regimeCode;
    if (filter.fundCode) where.fundCode = filter.fundCode;
    return this.dataSource.getRepository(Organisme).find({ where, order: { code: 'ASC' } });
  }

  findOrganisme(code: string): Promise<Organisme | null> {
    return this.dataSource.getRepository(Organisme).findOneBy({ code });
  }

  /** Upserts the reference rows; `overwrite: false` only adds what is missing (the start-up seed). */
  async upsert(
    em: EntityManager,
    rows: ReferenceRows,
    overwrite: boolean,
  ): Promise<{ regimes: number; funds: number; organismes: number }> {
    const onConflict = (cols: string) =>
      overwrite ? `ON CONFLICT (code) DO UPDATE SET ${cols}` : 'ON CONFLICT (code) DO NOTHING';
    let regimes = 0,
      funds = 0,
      organismes = 0;
    for (const r of rows.regimes) {
      const res = await em.query(
        `INSERT INTO regime (code, name) VALUES ($1, $2) ${onConflict('name = EXCLUDED.name')} RETURNING code`,
        [r.code, r.name],
      );
      regimes += res.length;
    }
    for (const f of rows.funds) {
      const res = await em.query(
        `INSERT INTO fund (code, regime_code, name) VALUES ($1, $2, $3) ${onConflict('name = EXCLUDED.name')} RETURNING code`,
        [f.code, f.regimeCode, f.name],
      );
      funds += res.length;
    }
    for (const o of rows.organismes) {
      const res = await em.query(
        `INSERT INTO organisme (code, fund_code, regime_code, name, city) VALUES ($1, $2, $3, $4, $5) ${onConflict('name = EXCLUDED.name, city = EXCLUDED.city, active = true')} RETURNING code`,
        [o.code, o.fundCode, o.regimeCode, o.name, o.city],
      );
      organismes += res.length;
    }
    return { regimes, funds, organismes };
  }
}
