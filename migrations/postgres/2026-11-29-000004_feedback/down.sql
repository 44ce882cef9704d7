DROP TABLE personal_data_access;
DROP TABLE feedback_trail;
DROP TABLE feedback;
DROP TABLE feedback_topics;
