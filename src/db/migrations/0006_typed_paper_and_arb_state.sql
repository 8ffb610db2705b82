CREATE TABLE `arb_sets_done` (
	`paper` integer NOT NULL,
	`group_key` text NOT NULL,
	`at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`paper`, `group_key`)
);
--> statement-breakpoint
ALTER TABLE `orders` ADD `paper_since_ms` integer;--> statement-breakpoint
-- State an older version kept in meta moves to its typed home, and leaves meta.
UPDATE `orders` SET `paper_since_ms` = (SELECT CAST(`value` AS INTEGER) FROM `meta` WHERE `key` = 'paper.paper_since:' || `orders`.`id`) WHERE `paper` = 1 AND `status` = 'resting';--> statement-breakpoint
DELETE FROM `meta` WHERE substr(`key`, 1, 18) = 'paper.paper_since:';--> statement-breakpoint
INSERT OR IGNORE INTO `arb_sets_done` (`paper`, `group_key`) SELECT 1, substr(`key`, 16) FROM `meta` WHERE substr(`key`, 1, 15) = 'paper.arb_done:';--> statement-breakpoint
INSERT OR IGNORE INTO `arb_sets_done` (`paper`, `group_key`) SELECT 0, substr(`key`, 15) FROM `meta` WHERE substr(`key`, 1, 14) = 'live.arb_done:';--> statement-breakpoint
DELETE FROM `meta` WHERE substr(`key`, 1, 15) = 'paper.arb_done:' OR substr(`key`, 1, 14) = 'live.arb_done:';