DROP TABLE sign_in_places;
