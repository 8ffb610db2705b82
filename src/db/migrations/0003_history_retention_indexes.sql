CREATE INDEX `audit_log_cycle` ON `audit_log` (`cycle_id`);--> statement-breakpoint
CREATE INDEX `balance_snapshots_at` ON `balance_snapshots` (`at`);--> statement-breakpoint
CREATE INDEX `balance_snapshots_cycle` ON `balance_snapshots` (`cycle_id`);--> statement-breakpoint
CREATE INDEX `cycles_started` ON `cycles` (`started_at`);--> statement-breakpoint
CREATE INDEX `market_snapshots_at` ON `market_snapshots` (`at`);--> statement-breakpoint
CREATE INDEX `market_snapshots_cycle` ON `market_snapshots` (`cycle_id`);--> statement-breakpoint
CREATE INDEX `order_events_at` ON `order_events` (`at`);--> statement-breakpoint
CREATE INDEX `orders_cycle` ON `orders` (`cycle_id`);