-- :patients generated patients (on top of the demo's few hundred): international names with
-- accents (60 given names per sex x 150 family names), birth dates from 1930 on, contact
-- details, some with an emergency contact. search_name and sort_name are generated columns.

CREATE TEMP TABLE names AS SELECT
  ARRAY['María', 'Ana', 'Inês', 'Sofía', 'Chloé', 'Zoë', 'Ingrid', 'Aisha', 'Mei', 'Olga',
        'Fatima', 'Hannah', 'Priya', 'Léa', 'Yuki', 'Grace', 'Nia', 'Elena', 'Chiara', 'Emma',
        'Leila', 'Rosa', 'Kateřina', 'Siobhán', 'Beatriz', 'Carmen', 'Lucía', 'Marta', 'Julia',
        'Sara', 'Amelia', 'Charlotte', 'Isabel', 'Teresa', 'Joana', 'Mariana', 'Adaeze', 'Ama',
        'Efua', 'Hana', 'Ayşe', 'Zeynep', 'Agnieszka', 'Małgorzata', 'Anneliese', 'Brigitte',
        'Céline', 'Margaux', 'Noémie', 'Giulia', 'Francesca', 'Astrid', 'Freja', 'Signe',
        'Nadia', 'Irina', 'Svetlana', 'Leticia', 'Renata', 'Camila']::text[] AS given_f,
  ARRAY['José', 'João', 'Samuel', 'Søren', 'François', 'Kwame', 'Luca', 'Mateus', 'Ahmed',
        'Jonas', 'Tomás', 'Raj', 'Hiroshi', 'Ivan', 'Oliver', 'Kofi', 'Björn', 'Diego', 'Noah',
        'Łukasz', 'Mehmet', 'Pedro', 'Emeka', 'Arjun', 'Dmitri', 'Carlos', 'Miguel', 'Rafael',
        'Manuel', 'António', 'Francisco', 'Gonçalo', 'Duarte', 'Afonso', 'Henrique', 'Lars',
        'Erik', 'Jürgen', 'Klaus', 'Matthias', 'Étienne', 'Benoît', 'Jérôme', 'Giovanni',
        'Marco', 'Paolo', 'Andrzej', 'Piotr', 'Tomasz', 'Kenji', 'Takeshi', 'Wei', 'Jun',
        'Mustafa', 'Yusuf', 'Omar', 'Chinedu', 'Tunde', 'Kwabena', 'Ricardo']::text[] AS given_m,
  ARRAY['González', 'Okafor', 'Müller', 'Nguyễn', 'Smith', 'Haddad', 'Kowalski', 'Rossi',
        'Silva', 'Jensen', 'Patel', 'Tanaka', 'Dubois', 'Mensah', 'Ivanova', 'García',
        'O''Brien', 'Novák', 'Andersson', 'Hernández', 'Kim', 'Osei', 'Fischer', 'Moreau',
        'Costa', 'Yılmaz', 'Schmidt', 'Papadopoulos', 'Ferreira', 'Chen', 'Martínez', 'Ahmed',
        'Nowak', 'Lindqvist', 'Bianchi', 'Adeyemi', 'López', 'Kovač', 'Santos', 'Wójcik',
        'Oliveira', 'Pereira', 'Rodrigues', 'Fernandes', 'Gonçalves', 'Gomes', 'Martins',
        'Lopes', 'Marques', 'Alves', 'Almeida', 'Ribeiro', 'Pinto', 'Carvalho', 'Teixeira',
        'Moreira', 'Correia', 'Mendes', 'Nunes', 'Soares', 'Vieira', 'Monteiro', 'Cardoso',
        'Rocha', 'Raposo', 'Neves', 'Coelho', 'Cruz', 'Cunha', 'Pires', 'Ramos', 'Reis',
        'Simões', 'Antunes', 'Matos', 'Fonseca', 'Machado', 'Araújo', 'Barbosa', 'Tavares',
        'Lourenço', 'Castro', 'Figueiredo', 'Azevedo', 'Freitas', 'Sanches', 'Magalhães',
        'Sánchez', 'Pérez', 'Gómez', 'Díaz', 'Jiménez', 'Ruiz', 'Álvarez', 'Moreno', 'Muñoz',
        'Romero', 'Navarro', 'Domínguez', 'Gutiérrez', 'Vázquez', 'Schneider', 'Meyer',
        'Weber', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf',
        'Schröder', 'Neumann', 'Martin', 'Bernard', 'Thomas', 'Petit', 'Robert', 'Richard',
        'Durand', 'Leroy', 'Lefèvre', 'Girard', 'Bonnet', 'Dupont', 'Lambert', 'Fontaine',
        'Russo', 'Ferrari', 'Esposito', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco',
        'Bruno', 'Gallo', 'Conti', 'De Luca', 'Mancini', 'Costa Pinto', 'Johansson',
        'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsen', 'Hansen', 'Nielsen']::text[] AS family,
  ARRAY['Lisbon', 'Porto', 'Coimbra', 'Braga', 'Faro', 'Setúbal', 'Aveiro', 'Évora']::text[] AS cities,
  ARRAY['pt', 'pt', 'pt', 'en', 'es', 'fr', 'de', 'pt-BR']::text[] AS languages,
  ARRAY['spouse', 'parent', 'child', 'sibling', 'friend']::text[] AS relationships;

INSERT INTO patients (id, given_name, family_name, birth_date, sex, phone, email, address_line,
                      city, postal_code, country, emergency_contact_name,
                      emergency_contact_relationship, emergency_contact_phone,
                      preferred_language, active, created_at, updated_at)
SELECT pg_temp.bid('b0000000', n),
       g.given, f.family,
       date '1930-01-01' + pg_temp.r(n, 3, 34000),
       g.sex,
       '+351 9' || lpad(pg_temp.r(n, 4, 100000000)::text, 8, '0'),
       CASE WHEN pg_temp.r(n, 5, 10) < 7
            THEN replace(hms_fold(g.given || '.' || f.family), ' ', '') || n || '@mail.example' END,
       'Rua ' || pg_temp.pick(names.family, pg_temp.r(n, 6, 1000)) || ', ' || (1 + pg_temp.r(n, 7, 300)),
       pg_temp.pick(names.cities, pg_temp.r(n, 8, 1000)),
       lpad((1000 + pg_temp.r(n, 9, 8999))::text, 4, '0') || '-' || lpad(pg_temp.r(n, 10, 999)::text, 3, '0'),
       'Portugal',
       CASE WHEN pg_temp.r(n, 11, 10) < 6
            THEN pg_temp.pick(names.given_f, pg_temp.r(n, 12, 1000)) || ' ' || f.family END,
       CASE WHEN pg_temp.r(n, 11, 10) < 6
            THEN pg_temp.pick(names.relationships, pg_temp.r(n, 13, 1000)) END,
       CASE WHEN pg_temp.r(n, 11, 10) < 6
            THEN '+351 9' || lpad(pg_temp.r(n, 14, 100000000)::text, 8, '0') END,
       pg_temp.pick(names.languages, pg_temp.r(n, 15, 1000)),
       n <= :patients - :patients / 200,   -- the last 0.5 % are deactivated
       now() - make_interval(days => 30 + pg_temp.r(n, 17, 1500)),
       now() - make_interval(days => pg_temp.r(n, 18, 30))
  FROM generate_series(1, :patients) AS n
 CROSS JOIN names
 CROSS JOIN LATERAL (
       SELECT CASE pg_temp.r(n, 19, 100) WHEN 0 THEN 'other' WHEN 1 THEN 'unknown'
                   ELSE CASE WHEN pg_temp.r(n, 20, 2) = 0 THEN 'female' ELSE 'male' END END AS sex) s
 CROSS JOIN LATERAL (
       SELECT s.sex,
              CASE WHEN s.sex = 'male' OR (s.sex <> 'female' AND pg_temp.r(n, 21, 2) = 0)
                   THEN pg_temp.pick(names.given_m, pg_temp.r(n, 22, 100000))
                   ELSE pg_temp.pick(names.given_f, pg_temp.r(n, 22, 100000)) END AS given) g
 CROSS JOIN LATERAL (SELECT pg_temp.pick(names.family, pg_temp.r(n, 23, 100000)) AS family) f;
