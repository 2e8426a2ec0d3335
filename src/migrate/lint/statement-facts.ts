import type { Node, RangeVar, TypeName } from "@pgsql/types";
import { perStatement, walk, type NodeBody } from "./ast.js";

/**
 * What several rules need from a statement's whole tree, gathered in one walk
 * and kept per statement (the walk is the linter's main cost per statement).
 */
export interface StatementFacts {
  rangeVars: RangeVar[];
  typeNames: TypeName[];
  funcCalls: NodeBody[];
  cteNames: Set<string>;
  /** SELECTs with DISTINCT or DISTINCT ON. */
  distinctSelects: NodeBody[];
  /** Texts of string constants. */
  strings: Set<string>;
  /** Constants cast to a type: type key → constant texts (filled by the rules that need it). */
  typeCasts: NodeBody[];
  columnDefs: NodeBody[];
}

export const statementFacts = perStatement((ast: Node): StatementFacts => {
  const facts: StatementFacts = {
    rangeVars: [],
    typeNames: [],
    funcCalls: [],
    cteNames: new Set(),
    distinctSelects: [],
    strings: new Set(),
    typeCasts: [],
    columnDefs: [],
  };
  const f = facts;
  walk(ast, (kind, body) => {
    switch (kind) {
      case "RangeVar":
        f.rangeVars.push(body);
        break;
      case "TypeName":
        f.typeNames.push(body);
        break;
      case "FuncCall":
        f.funcCalls.push(body);
        break;
      case "CommonTableExpr":
        f.cteNames.add(body.ctename as string);
        break;
      case "SelectStmt":
        if ((body.distinctClause as unknown[] | undefined)?.length) f.distinctSelects.push(body);
        break;
      case "A_Const": {
        const s = (body.sval as { sval?: string } | undefined)?.sval;
        if (s !== undefined) f.strings.add(s);
        break;
      }
      case "TypeCast":
        f.typeCasts.push(body);
        break;
      case "ColumnDef":
        f.columnDefs.push(body);
        break;
    }
  });
  return facts;
});
