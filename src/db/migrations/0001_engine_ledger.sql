ALTER TABLE `fills` ADD `cash_delta_micros` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `group_key` text;