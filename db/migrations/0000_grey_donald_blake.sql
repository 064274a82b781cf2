CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`platform` text NOT NULL,
	`external_account_id` text NOT NULL,
	`healthy` integer DEFAULT true NOT NULL,
	`health_reason` text,
	`access_token` text,
	`access_token_expires_at` text,
	`refresh_token` text,
	`last_polled_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`type` text NOT NULL,
	`account_id` text,
	`order_id` integer,
	`shipment_id` text,
	`message` text NOT NULL,
	`data` text
);
--> statement-breakpoint
CREATE INDEX `events_type` ON `events` (`type`);--> statement-breakpoint
CREATE INDEX `events_order` ON `events` (`order_id`);--> statement-breakpoint
CREATE TABLE `order_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`external_line_id` text NOT NULL,
	`sku` text NOT NULL,
	`sku_fallback` text,
	`title` text NOT NULL,
	`quantity` integer NOT NULL,
	`quantity_shipped` integer DEFAULT 0 NOT NULL,
	`unit_price_minor` integer NOT NULL,
	`personalization` text,
	`variations` text,
	`listing_id` text,
	`extra` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `order_items_order_line` ON `order_items` (`order_id`,`external_line_id`);--> statement-breakpoint
CREATE INDEX `order_items_sku` ON `order_items` (`sku`);--> statement-breakpoint
CREATE TABLE `order_payloads` (
	`order_id` integer PRIMARY KEY NOT NULL,
	`payload` blob NOT NULL,
	`fetched_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `orders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`platform` text NOT NULL,
	`account_id` text NOT NULL,
	`external_id` text NOT NULL,
	`status` text NOT NULL,
	`payment_status` text NOT NULL,
	`purchased_at` text NOT NULL,
	`remote_updated_at` text NOT NULL,
	`ship_by` text,
	`currency` text NOT NULL,
	`total_minor` integer NOT NULL,
	`subtotal_minor` integer,
	`shipping_minor` integer,
	`tax_minor` integer,
	`buyer_name` text,
	`buyer_email` text,
	`shipping_address` text,
	`address_unavailable` integer DEFAULT false NOT NULL,
	`gift_message` text,
	`buyer_note` text,
	`flags` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_platform_account_external` ON `orders` (`platform`,`account_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `orders_ship_by` ON `orders` (`ship_by`);--> statement-breakpoint
CREATE INDEX `orders_status` ON `orders` (`status`);--> statement-breakpoint
CREATE TABLE `production_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_item_id` integer NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`rule` text,
	`reason` text,
	`job_id` text,
	`profile` text,
	`estimate_minutes` integer,
	`flags` text,
	`printer_group` text,
	`lock_token` text,
	`taken_by` text,
	`started_at` text,
	`printed_at` text,
	`enqueued_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`order_item_id`) REFERENCES `order_items`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `production_items_order_item` ON `production_items` (`order_item_id`);--> statement-breakpoint
CREATE INDEX `production_items_state` ON `production_items` (`state`);--> statement-breakpoint
CREATE TABLE `quarantine` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` text NOT NULL,
	`external_id` text,
	`field` text,
	`reason` text NOT NULL,
	`payload` blob NOT NULL,
	`resolved_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `quarantine_account_external` ON `quarantine` (`account_id`,`external_id`);--> statement-breakpoint
CREATE TABLE `shipments` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` integer NOT NULL,
	`carrier` text NOT NULL,
	`carrier_code` text NOT NULL,
	`tracking_number` text NOT NULL,
	`shipped_at` text NOT NULL,
	`lines` text NOT NULL,
	`note_to_buyer` text,
	`source` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`remote_id` text,
	`error` text,
	`pushed_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `shipments_order_tracking` ON `shipments` (`order_id`,`tracking_number`);--> statement-breakpoint
CREATE INDEX `shipments_state` ON `shipments` (`state`);--> statement-breakpoint
CREATE TABLE `sync_cursors` (
	`account_id` text NOT NULL,
	`stream` text NOT NULL,
	`cursor` text NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sync_cursors_account_stream` ON `sync_cursors` (`account_id`,`stream`);