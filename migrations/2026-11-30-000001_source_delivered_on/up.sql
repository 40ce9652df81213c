-- The day a document was delivered (a report read to a congress), when it differs from its
-- publication online.
ALTER TABLE sources ADD COLUMN delivered_on date;
