import type { IndexProposal } from '../findings/finding.js';

// The machine-readable index proposal of a finding (`fix.index`). `table` is the bare name, as
// the statements usually name it (and as a person or a script compares it); `schema` is the
// PostgreSQL schema or the MySQL database it lives in. The qualified `schema.table` is what the
// finding's `object` and the DDL use.

export interface IndexProposalParts {
  where?: string;
  include?: readonly string[];
  opclass?: Readonly<Record<string, string>>;
  prefix?: Readonly<Record<string, number>>;
}

export function indexProposal(
  qualifiedTable: string,
  columns: readonly string[],
  parts: IndexProposalParts = {},
): IndexProposal {
  const dot = qualifiedTable.lastIndexOf('.');
  const proposal: IndexProposal =
    dot < 0
      ? { table: qualifiedTable, columns: [...columns] }
      : { schema: qualifiedTable.slice(0, dot), table: qualifiedTable.slice(dot + 1), columns: [...columns] };
  if (parts.where !== undefined) proposal.where = parts.where;
  if (parts.include?.length) proposal.include = [...parts.include];
  if (parts.opclass && Object.keys(parts.opclass).length > 0) proposal.opclass = { ...parts.opclass };
  if (parts.prefix && Object.keys(parts.prefix).length > 0) proposal.prefix = { ...parts.prefix };
  return proposal;
}
