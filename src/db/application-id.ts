/** "KBOT": marks a SQLite file as a kalshi-bot ledger (checked by restore and backup). */
// A leaf module: backup reads it without loading drizzle, the ledger schema and the migrations.
export const APPLICATION_ID = 0x4b424f54;
