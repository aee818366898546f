-- Undo 0015: the form's questions and its message limit go (0001's 2,000 stays).
ALTER TABLE feedback DROP CONSTRAINT feedback_message_form_length;
ALTER TABLE feedback
    DROP COLUMN task,
    DROP COLUMN would_return,
    DROP COLUMN would_recommend;
