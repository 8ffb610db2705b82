CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`cycle_id` integer,
	`kind` text NOT NULL,
	`ticker` text,
	`strategy` text,
	`message` text NOT NULL,
	`data` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `balance_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`paper` integer NOT NULL,
	`cycle_id` integer,
	`cash_micros` integer NOT NULL,
	`portfolio_value_micros` integer NOT NULL,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`cycle_id`) REFERENCES `cycles`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `cycles` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`started_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`ended_at` integer,
	`mode` text NOT NULL,
	`dry_run` integer NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`orders_placed` integer DEFAULT 0 NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE TABLE `fills` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`fill_id` text NOT NULL,
	`paper` integer NOT NULL,
	`order_id` text,
	`client_order_id` text,
	`ticker` text NOT NULL,
	`side` text NOT NULL,
	`price` integer NOT NULL,
	`count` integer NOT NULL,
	`fee_micros` integer NOT NULL,
	`is_taker` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fills_fill_id` ON `fills` (`paper`,`fill_id`);--> statement-breakpoint
CREATE INDEX `fills_ticker` ON `fills` (`ticker`);--> statement-breakpoint
CREATE TABLE `market_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`cycle_id` integer,
	`ticker` text NOT NULL,
	`yes_bid` integer,
	`yes_ask` integer,
	`last_price` integer,
	`volume` integer,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`cycle_id`) REFERENCES `cycles`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `market_snapshots_ticker` ON `market_snapshots` (`ticker`,`at`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `order_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_row_id` integer NOT NULL,
	`status` text NOT NULL,
	`detail` text,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`order_row_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_events_order` ON `order_events` (`order_row_id`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`client_order_id` text NOT NULL,
	`order_id` text,
	`paper` integer NOT NULL,
	`origin` text DEFAULT 'bot' NOT NULL,
	`ticker` text NOT NULL,
	`event_ticker` text,
	`side` text NOT NULL,
	`price` integer NOT NULL,
	`count` integer NOT NULL,
	`filled_count` integer DEFAULT 0 NOT NULL,
	`remaining_count` integer DEFAULT 0 NOT NULL,
	`time_in_force` text NOT NULL,
	`post_only` integer DEFAULT false NOT NULL,
	`reduce_only` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`strategy` text,
	`reason` text,
	`order_group_id` text,
	`cycle_id` integer,
	`error` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`cycle_id`) REFERENCES `cycles`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_client_order_id` ON `orders` (`client_order_id`);--> statement-breakpoint
CREATE INDEX `orders_status` ON `orders` (`paper`,`status`);--> statement-breakpoint
CREATE INDEX `orders_ticker` ON `orders` (`ticker`);--> statement-breakpoint
CREATE TABLE `positions` (
	`paper` integer NOT NULL,
	`ticker` text NOT NULL,
	`event_ticker` text,
	`position` integer DEFAULT 0 NOT NULL,
	`cost_micros` integer DEFAULT 0 NOT NULL,
	`realized_pnl_micros` integer DEFAULT 0 NOT NULL,
	`fees_micros` integer DEFAULT 0 NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`paper`, `ticker`)
);
--> statement-breakpoint
CREATE TABLE `risk_state` (
	`paper` integer PRIMARY KEY NOT NULL,
	`state` text DEFAULT 'active' NOT NULL,
	`reason` text,
	`since` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`high_water_micros` integer,
	`day` text,
	`day_start_equity_micros` integer
);
--> statement-breakpoint
CREATE TABLE `settlements` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`paper` integer NOT NULL,
	`ticker` text NOT NULL,
	`event_ticker` text,
	`result` text NOT NULL,
	`yes_count` integer NOT NULL,
	`no_count` integer NOT NULL,
	`revenue_cents` integer NOT NULL,
	`fee_micros` integer DEFAULT 0 NOT NULL,
	`settled_time` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `settlements_ticker` ON `settlements` (`paper`,`ticker`);