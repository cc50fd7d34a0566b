DROP TABLE feedback;
DROP TABLE clients;
