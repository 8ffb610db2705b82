CREATE INDEX `fills_created` ON `fills` (`paper`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_created` ON `orders` (`paper`,`created_at`);