-- 0015 the feedback form (issue #20): the original platform's questions beside the message,
-- and the form's own limit on it. Every new column is nullable (a question left unanswered).
-- The message limit drops from 2,000 to the form's 1,000 characters for new rows: NOT VALID, so
-- rows stored before (none are written by this code's predecessors, but a hand import might
-- have) keep their text; 0001's CHECK still bounds them.
ALTER TABLE feedback
    ADD COLUMN would_recommend text CHECK (would_recommend IN ('yes', 'no', 'maybe')),
    ADD COLUMN would_return    text CHECK (would_return IN ('yes', 'no', 'maybe')),
    -- the task of the page it was sent from, when that page was a task's
    ADD COLUMN task            text CHECK (task IN ('speak', 'transcribe', 'translate', 'label'));
ALTER TABLE feedback ADD CONSTRAINT feedback_message_form_length
    CHECK (char_length(message) <= 1000) NOT VALID;
